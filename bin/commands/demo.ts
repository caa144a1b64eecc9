/**
 * `outpost demo` (npm run demo): tries Outpost without DNS or a domain of your
 * own. Everything runs on 127.0.0.1 at free ports (bin/demo/demo-setup.ts):
 * a demo DNS server, a catch-all destination and Outpost itself, with a temp
 * data dir. It sends one message through REST and one through SMTP 587, shows
 * their status and the delivered copies' DKIM, SPF and DMARC results, prints
 * the commands to go on by hand, and stops everything it started (with
 * --keep-running, on Ctrl-C). Exit 0 when both were delivered with DKIM
 * passing, 4 when not.
 */
import type { Command } from 'commander';
import { isOutpostApiError } from '../../api/client/index.js';
import type { GlobalFlags } from '../cli/connection.js';
import { CliFailure, EXIT } from '../cli/exit-codes.js';
import { printJson, printLine, table } from '../cli/output.js';
import { authenticateCopy } from '../demo/authentication.js';
import { DEMO_NAMES, LOOPBACK, startDemoWorld, type DemoWorld } from '../demo/demo-setup.js';
import { runDemo, type DemoReport } from '../demo/run-demo.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('try Outpost on loopback: local DNS, a catch-all destination, a REST and an SMTP send, DKIM checked; nothing on public ports')
    .option('--keep-running', 'leave the demo up after the run (until Ctrl-C) to try the printed commands against it')
    .action(async (_flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & { keepRunning?: boolean }>();
      const json = Boolean(flags.json);
      const say = json ? () => undefined : printLine;
      const world = await startDemoWorld();
      // Ctrl-C during the run still stops what was started and removes the data dir
      let onSignal: () => void = () => undefined;
      const interrupted = new Promise<void>((resolve) => (onSignal = resolve));
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        describeWorld(world, say);
        const report = await Promise.race([runDemo(world, say), interrupted.then(() => undefined)]).catch((error: unknown) => {
          // the client's errors keep their exit codes; anything else is Outpost failing the demo
          throw isOutpostApiError(error) ? error : new CliFailure(`the demo failed: ${(error as Error).message}; the server's log lines above say more`, EXIT.unavailable);
        });
        if (!report) throw new CliFailure('interrupted; the demo stopped everything it had started', EXIT.usage);
        if (json) printJson(jsonReport(report));
        else printReport(report, Boolean(flags.keepRunning));
        if (flags.keepRunning) {
          if (!json) say('\nThe demo keeps running; press Ctrl-C to stop it.');
          world.catchAll.onCopy = (copy) => {
            void authenticateCopy(copy, { dnsAddress: world.dns.address, clientIp: LOOPBACK, helo: DEMO_NAMES.outpostHost, mta: DEMO_NAMES.recipientMx })
              .then((result) => say(`delivered to ${copy.rcptTo.join(', ')}: ${subjectOf(copy.raw)} (DKIM ${result.dkim}, SPF ${result.spf}, DMARC ${result.dmarc})`))
              .catch(() => undefined);
          };
          await interrupted;
        }
        const failed = report.sends.filter((send) => send.message.recipients.some((recipient) => recipient.status !== 'delivered') || send.authentication?.dkim !== 'pass');
        if (failed.length > 0) throw new CliFailure(`the demo did not end as it should: ${failed.map((send) => `${send.via} message ${send.id}`).join(', ')} not delivered with DKIM passing`, EXIT.unwantedOutcome);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await world.close();
        say(`stopped the demo's servers and removed ${world.dataDir}`);
      }
    });
}

function describeWorld(world: DemoWorld, say: (line: string) => void): void {
  say(`Outpost demo: everything on ${LOOPBACK}, nothing on public ports; data in ${world.dataDir} (removed at the end)`);
  say(table(['part', 'address', 'what it does'], [
    ['DNS server', world.dns.address, `answers for ${DEMO_NAMES.senderDomain}, ${DEMO_NAMES.recipientDomain}, ${DEMO_NAMES.outpostHost}`],
    ['catch-all MX', `${LOOPBACK}:${world.catchAll.port}`, `MX of ${DEMO_NAMES.recipientDomain}: takes mail for any address`],
    ['Outpost HTTP', world.url, 'REST API'],
    ['Outpost SMTP', world.submissionAddress, 'submission (587\'s stand-in): STARTTLS, AUTH'],
  ]));
}

function printReport(report: DemoReport, keepRunning: boolean): void {
  printLine('5. status and the delivered copies, checked as a receiving server would:');
  printLine(table(['via', 'message', 'recipient', 'status', 'attempts', 'last response', 'DKIM', 'SPF', 'DMARC'], report.sends.map((send) => {
    const recipient = send.message.recipients[0]!;
    const checked = send.authentication;
    return [send.via, send.id, recipient.address, recipient.status, recipient.attempts, recipient.last_response, checked ? `${checked.dkim} (d=${checked.dkimDomain})` : 'no copy', checked?.spf, checked?.dmarc];
  })));
  const env = `OUTPOST_URL=${report.url} OUTPOST_API_KEY=${report.apiKey}`;
  printLine(`
Go on by hand${keepRunning ? ' (against this demo, while it runs)' : ' (npm run demo -- --keep-running keeps the demo up for these)'}:
  export ${env}
  npx outpost send --from hello@${report.domain} --to you@${DEMO_NAMES.recipientDomain} --subject Hi --text Hello --attach README.md --watch
  npx outpost messages get ${report.sends[0]!.id}
  npx outpost messages list
  npx outpost domains get ${report.domain}

With your own server and domain:
  npm start                                  # prints the admin key at first start (data/admin.key)
  npx outpost accounts create acme --admin-key "$(cat data/admin.key)"
  export OUTPOST_API_KEY=op_...              # the key it printed
  npx outpost domains add acme.example       # publish the records it prints, then:
  npx outpost domains verify acme.example
  npx outpost send --from you@acme.example --to someone@example.org --subject Hi --text Hello --watch`);
}

function jsonReport(report: DemoReport) {
  return {
    url: report.url,
    account_id: report.accountId,
    domain: report.domain,
    sends: report.sends.map((send) => ({ via: send.via, id: send.id, recipient: send.recipient, status: send.message.recipients[0]?.status, authentication: send.authentication ?? null, message: send.message })),
  };
}

function subjectOf(raw: Buffer): string {
  const header = raw.subarray(0, raw.indexOf('\r\n\r\n') >>> 0).toString('utf8');
  return /^Subject:\s*(.*)$/im.exec(header)?.[1] ?? '(no subject)';
}
