/**
 * `outpost send`: the seed's send from the command line, a flag for every
 * field; `--attach PATH` (repeatable) uploads local files as they are read,
 * with a progress bar on a terminal for large ones; `--watch` then follows the
 * message until it is final. Nothing is sent when a flag is missing or a file
 * cannot be read.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import type { SendMessage } from '../../api/client/index.js';
import { clientFor, type GlobalFlags } from '../cli/connection.js';
import { CliFailure, EXIT } from '../cli/exit-codes.js';
import { duration, repeatable } from '../cli/option-parsers.js';
import { printJson, printLine, printNote } from '../cli/output.js';
import { uploadBar } from '../cli/upload-progress.js';
import { followMessage } from './messages.js';

interface SendFlags {
  from: string;
  to: string[];
  subject: string;
  text?: string;
  textFile?: string;
  html?: string;
  htmlFile?: string;
  fromName?: string;
  date?: string;
  replyTo?: string;
  cc?: string[];
  bcc?: string[];
  attach?: string[];
  tag?: string[];
  charset?: string;
  encoding?: string;
  requireTls?: boolean;
  verifyCert?: boolean;
  openTracking?: boolean;
  clickTracking?: boolean;
  textClickTracking?: boolean;
  unsubscribeTracking?: boolean;
  testMode?: boolean;
  idempotencyKey?: string;
  watch?: boolean;
  timeout?: number;
}

/** The starred options of the seed: each a flag and its --no- form; left out, the domain's default applies. */
const OVERRIDES = [
  ['require-tls', 'defer rather than deliver without STARTTLS'],
  ['verify-cert', 'check the destination\'s TLS certificate'],
  ['open-tracking', 'track opens'],
  ['click-tracking', 'track clicks in the HTML body'],
  ['text-click-tracking', 'track clicks in the text body too'],
  ['unsubscribe-tracking', 'add an unsubscribe link'],
  ['test-mode', 'go through every step but delivery (recipients end as test)'],
] as const;

export function registerSendCommand(program: Command): void {
  const send = program
    .command('send')
    .description('send a message (POST /v1/mail/send); attachments are local files, uploaded as they are read')
    .requiredOption('--from <address>', 'sender address, on a verified domain of the account')
    .requiredOption('--to <address>', 'recipient (repeat for more)', repeatable)
    .requiredOption('--subject <text>', 'subject line')
    .option('--text <text>', 'plain-text body')
    .option('--text-file <file>', 'plain-text body from a file (- reads standard input)')
    .option('--html <html>', 'HTML body')
    .option('--html-file <file>', 'HTML body from a file')
    .option('--from-name <name>', 'sender\'s display name')
    .option('--date <time>', 'Date header, ISO 8601 with a time zone (default: when Outpost accepts it)')
    .option('--reply-to <address>', 'address for replies')
    .option('--cc <address>', 'Cc recipient (repeat for more)', repeatable)
    .option('--bcc <address>', 'Bcc recipient (repeat for more)', repeatable)
    .option('--attach <path>', 'attach a local file (repeat for more)', repeatable)
    .option('--tag <tag>', 'tag to find the message by later (repeat for more)', repeatable)
    .option('--charset <name>', 'charset of text and html (default UTF-8)')
    .option('--encoding <encoding>', 'quoted-printable (default), base64 or 8bit');
  for (const [flag, description] of OVERRIDES) {
    send.option(`--${flag}`, `${description} (overrides the domain's default)`).option(`--no-${flag}`, `${flag} off for this message`);
  }
  send
    .option('--idempotency-key <key>', 'a key of your own for this send (default: a new one, reused by the client\'s retries)')
    .option('--watch', 'then follow the message until it is final (exit codes as messages watch)')
    .option('--timeout <duration>', 'with --watch: give up after this long (exit 5)', duration)
    .addHelpText('after', `
Examples:
  outpost send --from news@acme.example --to user@example.org --subject Hi --text 'Hello'
  outpost send --from news@acme.example --to a@example.org --to b@example.org --subject Report \\
    --text-file body.txt --html-file body.html --attach /home/me/report.pdf --tag monthly --watch`)
    .action(async (_flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & SendFlags>();
      const message = await messageFromFlags(flags);
      const client = clientFor(flags, 'key');
      const bar = uploadBar(await attachmentBytes(flags.attach ?? []), !flags.json);
      let receipt;
      try {
        receipt = await client.mail.send(message, {
          ...(flags.idempotencyKey ? { idempotencyKey: flags.idempotencyKey } : {}),
          ...(bar.onProgress ? { onUploadProgress: bar.onProgress } : {}),
        });
      } finally {
        bar.stop();
      }
      if (!flags.watch) {
        if (flags.json) return printJson(receipt);
        printLine(`queued ${receipt.id}: ${receipt.accepted_recipients} accepted, ${receipt.rejected_recipients} rejected`);
        printNote(`follow it: outpost messages watch ${receipt.id}`);
        return;
      }
      if (!flags.json) printLine(`queued ${receipt.id}: ${receipt.accepted_recipients} accepted, ${receipt.rejected_recipients} rejected`);
      await followMessage(client, receipt.id, { interval: 1000, ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}) }, Boolean(flags.json));
    });
}

async function messageFromFlags(flags: SendFlags): Promise<SendMessage> {
  const text = await bodyFrom(flags.text, flags.textFile, 'text');
  if (text === undefined) throw new CliFailure('give the plain-text body: --text TEXT or --text-file FILE (- reads standard input)', EXIT.usage);
  const html = await bodyFrom(flags.html, flags.htmlFile, 'html');
  const overrides = Object.fromEntries(
    OVERRIDES.map(([flag]) => [flag.replace(/-/g, '_'), flags[camelCase(flag) as keyof SendFlags]]).filter(([, value]) => value !== undefined),
  );
  return {
    from: flags.from,
    to: flags.to,
    subject: flags.subject,
    text,
    ...(html !== undefined ? { html } : {}),
    ...(flags.fromName !== undefined ? { from_name: flags.fromName } : {}),
    ...(flags.date !== undefined ? { date: flags.date } : {}),
    ...(flags.replyTo !== undefined ? { reply_to: flags.replyTo } : {}),
    ...(flags.cc ? { cc: flags.cc } : {}),
    ...(flags.bcc ? { bcc: flags.bcc } : {}),
    ...(flags.tag ? { tags: flags.tag } : {}),
    ...(flags.charset !== undefined ? { charset: flags.charset } : {}),
    ...(flags.encoding !== undefined ? { encoding: flags.encoding as SendMessage['encoding'] } : {}),
    ...overrides,
    ...(flags.attach ? { attachments: flags.attach } : {}),
  };
}

/** A body given inline or in a file (- for standard input); both at once is a usage error. */
async function bodyFrom(inline: string | undefined, file: string | undefined, name: 'text' | 'html'): Promise<string | undefined> {
  if (inline !== undefined && file !== undefined) throw new CliFailure(`give --${name} or --${name}-file, not both`, EXIT.usage);
  if (file === undefined) return inline;
  try {
    return file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new CliFailure(`--${name}-file ${file}: ${(error as { code?: string }).code === 'ENOENT' ? 'no such file' : (error as Error).message}; give the path of a readable file`, EXIT.usage);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The attachments' total size, for the progress bar (a missing file is reported by the send itself). */
async function attachmentBytes(paths: string[]): Promise<number> {
  const sizes = await Promise.all(paths.map((file) => stat(file).then((stats) => stats.size, () => 0)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

function camelCase(flag: string): string {
  return flag.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
}
