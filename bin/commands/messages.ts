/**
 * `outpost messages get|list|watch`: a message's recipients and event log, the
 * account's messages newest first (one page, or --all of them), and following
 * one message until every recipient is final. watch exits 0 when every
 * recipient got it, 4 when one did not (bounced, rejected, suppressed,
 * complained), 5 when --timeout passes first.
 */
import type { Command } from 'commander';
import { allDelivered, isOutpostApiError, type Message, type MessageQuery, type Outpost, type RecipientStatus } from '../../api/client/index.js';
import { clientFor, type GlobalFlags } from '../cli/connection.js';
import { CliFailure, EXIT } from '../cli/exit-codes.js';
import { duration, wholeNumber } from '../cli/option-parsers.js';
import { fieldTable, printJson, printLine, printNote, table } from '../cli/output.js';

interface ListFlags {
  status?: RecipientStatus;
  recipient?: string;
  tag?: string;
  since?: string;
  until?: string;
  limit?: number;
  cursor?: string;
  all?: boolean;
}

export interface WatchFlags {
  interval: number;
  timeout?: number;
}

export function registerMessageCommands(program: Command): void {
  const messages = program.command('messages').description('look up sent messages: status per recipient and the event log');

  messages
    .command('get')
    .description('one message: its recipients\' status and its event log')
    .argument('<id>', 'message id, from the send receipt')
    .action(async (id: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const message = await clientFor(flags, 'key').mail.messages.get(id);
      if (flags.json) return printJson(message);
      printMessage(message);
    });

  messages
    .command('list')
    .description('the account\'s messages, newest first')
    .option('--status <status>', 'messages where some recipient has this status (queued, deferred, delivered, bounced, complained, rejected, suppressed, test)')
    .option('--recipient <address>', 'messages to this address')
    .option('--tag <tag>', 'messages with this tag')
    .option('--since <time>', 'created at or after (ISO 8601, e.g. 2026-01-31 or 2026-01-31T12:00:00Z, or epoch ms)')
    .option('--until <time>', 'created before (same forms as --since)')
    .option('--limit <n>', 'messages per page, 1-100 (default 20)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'next_cursor of the previous page')
    .option('--all', 'every page, to the end')
    .action(async (_flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & ListFlags>();
      const client = clientFor(flags, 'key');
      const query: MessageQuery = {
        ...(flags.status ? { status: flags.status } : {}),
        ...(flags.recipient ? { recipient: flags.recipient } : {}),
        ...(flags.tag ? { tag: flags.tag } : {}),
        ...(flags.since ? { since: flags.since } : {}),
        ...(flags.until ? { until: flags.until } : {}),
        ...(flags.limit ? { limit: flags.limit } : {}),
      };
      const items: Message[] = [];
      let nextCursor: string | null = null;
      if (flags.all) {
        for await (const message of client.mail.messages.all(query)) items.push(message);
      } else {
        const page = await client.mail.messages.list({ ...query, ...(flags.cursor ? { cursor: flags.cursor } : {}) });
        items.push(...page.items);
        nextCursor = page.next_cursor;
      }
      if (flags.json) return printJson({ items, next_cursor: nextCursor });
      printLine(table(['id', 'created', 'from', 'subject', 'recipients'], items.map((message) => [message.id, message.created_at, message.from, message.subject, statusSummary(message)])));
      if (nextCursor) printNote(`more: outpost messages list --cursor ${nextCursor} (or --all)`);
    });

  messages
    .command('watch')
    .description('follow a message until every recipient is final (exit 0 all delivered, 4 one not, 5 --timeout passed)')
    .argument('<id>', 'message id, from the send receipt')
    .option('--interval <duration>', 'between two looks', duration, 1000)
    .option('--timeout <duration>', 'give up after this long (exit 5), e.g. 10m', duration)
    .action(async (id: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & WatchFlags>();
      await followMessage(clientFor(flags, 'key'), id, flags, Boolean(flags.json));
    });
}

/** Prints each change of a message until it is final; fails with exit 4 when not every recipient got it, 5 on --timeout. */
export async function followMessage(client: Outpost, id: string, flags: WatchFlags, json: boolean): Promise<void> {
  const last = new Map<string, RecipientStatus>();
  let final: Message | undefined;
  try {
    for await (const message of client.mail.messages.watch(id, { intervalMs: flags.interval, ...(flags.timeout !== undefined ? { timeoutMs: flags.timeout } : {}) })) {
      final = message;
      if (json) continue;
      for (const recipient of message.recipients) {
        if (last.get(recipient.address) === recipient.status) continue;
        const before = last.get(recipient.address);
        last.set(recipient.address, recipient.status);
        const reply = recipient.last_response ? `  (${recipient.last_response})` : '';
        printLine(`${new Date().toISOString()}  ${recipient.address}  ${before ? `${before} -> ` : ''}${recipient.status}${reply}`);
      }
    }
  } catch (error) {
    if (isOutpostApiError(error) && error.code === 'timeout' && error.status === 0) {
      if (json && final) printJson(final);
      throw new CliFailure(`${error.message} (--timeout); run the command again to keep watching`, EXIT.gaveUpWaiting);
    }
    throw error;
  }
  if (json) printJson(final);
  if (final && !allDelivered(final)) {
    const missed = final.recipients.filter((recipient) => recipient.status !== 'delivered' && recipient.status !== 'test');
    throw new CliFailure(`not delivered to ${missed.map((recipient) => `${recipient.address} (${recipient.status}${recipient.reason ? `: ${recipient.reason}` : ''})`).join(', ')}; outpost messages get ${id} shows why`, EXIT.unwantedOutcome);
  }
}

function printMessage(message: Message): void {
  printLine(fieldTable([
    ['id', message.id],
    ['from', message.from],
    ['subject', message.subject],
    ['tags', message.tags.join(', ')],
    ['created', message.created_at],
    ['size', `${message.size} bytes`],
  ]));
  printLine('Recipients');
  printLine(table(['address', 'status', 'attempts', 'last response', 'reason', 'updated'], message.recipients.map((recipient) => [
    recipient.address,
    recipient.status,
    recipient.attempts,
    recipient.last_response,
    [recipient.reason, recipient.bounce_type].filter(Boolean).join(' / '),
    recipient.updated_at,
  ])));
  printLine('Events');
  printLine(table(['at', 'event', 'recipient', 'detail'], message.events.map((event) => [event.at, event.type, event.recipient, eventDetail(event)])));
}

function eventDetail(event: Message['events'][number]): string {
  const attempt = event.attempt;
  const parts = [
    event.reason,
    event.bounce_reason ? `${event.bounce_reason}${event.bounce_type ? ` (${event.bounce_type})` : ''}` : undefined,
    attempt ? `${attempt.mx ?? 'no MX'}${attempt.ip ? ` [${attempt.ip}]` : ''}${attempt.tls ? ` ${attempt.tls.protocol}` : ''}: ${attempt.response}` : undefined,
    event.next_attempt_at ? `next attempt ${event.next_attempt_at}` : undefined,
  ];
  return parts.filter(Boolean).join('; ');
}

/** "delivered 2, bounced 1" */
function statusSummary(message: Message): string {
  const counts = new Map<string, number>();
  for (const recipient of message.recipients) counts.set(recipient.status, (counts.get(recipient.status) ?? 0) + 1);
  return [...counts].map(([status, count]) => `${status} ${count}`).join(', ');
}
