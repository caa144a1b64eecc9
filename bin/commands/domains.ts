/**
 * `outpost domains add|verify|list|get|defaults|rotate-dkim|delete`: sending
 * domains. add and get print the DNS records to publish as a table to copy
 * (values in full, never cut); verify prints each record as ok, missing or
 * wrong with what was found instead, and exits 4 until every one is right.
 */
import { Option, type Command } from 'commander';
import type { DnsRecordView, Domain, DomainDefaults } from '../../api/client/index.js';
import { clientFor, type GlobalFlags } from '../cli/connection.js';
import { CliFailure, EXIT } from '../cli/exit-codes.js';
import { printJson, printLine, printNote, table } from '../cli/output.js';

/** The per-domain defaults PATCH takes, as --flag / --no-flag pairs. */
const DEFAULT_FLAGS = ['require-tls', 'verify-cert', 'open-tracking', 'click-tracking', 'text-click-tracking', 'unsubscribe-tracking', 'test-mode'] as const;

export function registerDomainCommands(program: Command): void {
  const domains = program.command('domains').description('sending domains: add one, publish its DNS records, verify them');
  const algorithm = () => new Option('--dkim-algorithm <algorithm>', 'DKIM key type').choices(['rsa', 'ed25519']);

  domains
    .command('add')
    .description('add a sending domain and print the DNS records to publish')
    .argument('<domain>', 'e.g. acme.example')
    .addOption(algorithm())
    .action(async (domain: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & { dkimAlgorithm?: 'rsa' | 'ed25519' }>();
      const added = await clientFor(flags, 'key').domains.add(domain, flags.dkimAlgorithm ? { dkim_algorithm: flags.dkimAlgorithm } : {});
      if (flags.json) return printJson(added);
      printLine(`${added.domain}: ${added.status}. Publish these records at the domain's DNS provider:`);
      printLine(recordsTable(added.dns_records, false));
      printNote(`then run: outpost domains verify ${added.domain}`);
    });

  domains
    .command('verify')
    .description('look the records up; exit 0 when all are published as given, 4 while some are missing or wrong')
    .argument('<domain>')
    .action(async (domain: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const checked = await clientFor(flags, 'key').domains.verify(domain);
      if (flags.json) printJson(checked);
      else printVerification(checked);
      const failing = checked.dns_records.filter((record) => record.status !== 'ok');
      if (checked.status !== 'verified') {
        throw new CliFailure(`${checked.domain} is not verified: ${failing.length} of ${checked.dns_records.length} records missing or wrong; publish them as shown and verify again (DNS changes can take a while to show)`, EXIT.unwantedOutcome);
      }
    });

  domains
    .command('list')
    .description('the account\'s domains and whether they may send')
    .action(async (_flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const list = await clientFor(flags, 'key').domains.list();
      if (flags.json) return printJson({ items: list });
      printLine(table(['domain', 'status', 'records ok', 'verified at', 'last checked'], list.map((domain) => [
        domain.domain,
        domain.status,
        `${domain.dns_records.filter((record) => record.status === 'ok').length}/${domain.dns_records.length}`,
        domain.verified_at,
        domain.last_checked_at,
      ])));
    });

  domains
    .command('get')
    .description('one domain, its records and their last check')
    .argument('<domain>')
    .action(async (domain: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const found = await clientFor(flags, 'key').domains.get(domain);
      if (flags.json) return printJson(found);
      printVerification(found);
    });

  const defaults = domains
    .command('defaults')
    .description('set the domain\'s defaults for the send options a send does not set itself')
    .argument('<domain>');
  for (const flag of DEFAULT_FLAGS) defaults.option(`--${flag}`, `${flag} on by default`).option(`--no-${flag}`, `${flag} off by default`);
  defaults.action(async (domain: string, _flags: object, command: Command) => {
    const flags = command.optsWithGlobals<GlobalFlags & Record<string, unknown>>();
    const changes = Object.fromEntries(
      DEFAULT_FLAGS.map((flag) => [flag.replace(/-/g, '_'), flags[flag.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase())]]).filter(([, value]) => value !== undefined),
    ) as DomainDefaults;
    if (Object.keys(changes).length === 0) throw new CliFailure(`give at least one default to set, e.g. --require-tls or --no-test-mode (see outpost domains defaults --help)`, EXIT.usage);
    const updated = await clientFor(flags, 'key').domains.setDefaults(domain, changes);
    if (flags.json) return printJson(updated);
    printLine(table(['default', 'value'], Object.entries(updated.defaults).map(([name, value]) => [name, String(value)])));
  });

  domains
    .command('rotate-dkim')
    .description('make a new DKIM key to publish; it signs once a verify has seen it published')
    .argument('<domain>')
    .addOption(algorithm())
    .action(async (domain: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & { dkimAlgorithm?: 'rsa' | 'ed25519' }>();
      const rotated = await clientFor(flags, 'key').domains.rotateDkim(domain, flags.dkimAlgorithm ? { dkim_algorithm: flags.dkimAlgorithm } : {});
      if (flags.json) return printJson(rotated);
      printLine(`publish the new key (selector ${rotated.dkim.next_selector}) with the others, then run: outpost domains verify ${rotated.domain}`);
      printLine(recordsTable(rotated.dns_records, true));
    });

  domains
    .command('delete')
    .description('remove a domain: mail from it is refused from then on')
    .argument('<domain>')
    .action(async (domain: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      await clientFor(flags, 'key').domains.delete(domain);
      if (flags.json) return printJson({ deleted: domain });
      printLine(`deleted ${domain}`);
    });
}

/** The records as a table to copy into a DNS provider's form. */
function recordsTable(records: DnsRecordView[], withStatus: boolean): string {
  const head = ['purpose', 'type', 'name', 'priority', 'value', ...(withStatus ? ['status'] : [])];
  return table(head, records.map((record) => [record.purpose, record.type, record.name, record.priority, record.value, ...(withStatus ? [record.status] : [])]));
}

function printVerification(domain: Domain): void {
  printLine(`${domain.domain}: ${domain.status}${domain.verified_at ? ` (verified ${domain.verified_at})` : ''}`);
  printLine(recordsTable(domain.dns_records, true));
  for (const record of domain.dns_records.filter((item) => item.status === 'missing' || item.status === 'wrong')) {
    const found = record.found?.length ? `found: ${record.found.join(' | ')}` : 'found nothing';
    printLine(`${record.status}: ${record.type} ${record.name}: ${record.reason ?? ''}${record.reason ? '; ' : ''}${found}`);
  }
}
