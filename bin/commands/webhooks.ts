/**
 * `outpost webhooks list|add|deliveries|delete`: URLs that get this account's events as
 * signed POSTs. add prints the signing secret, which is shown only then.
 */
import type { Command } from 'commander';
import { clientFor, type GlobalFlags } from '../cli/connection.js';
import { repeatable, wholeNumber } from '../cli/option-parsers.js';
import { printJson, printLine, printNote, table } from '../cli/output.js';

export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('URLs Outpost POSTs this account\'s events to');

  webhooks
    .command('list')
    .description('the account\'s webhooks (without their secrets)')
    .action(async (_flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const items = await clientFor(flags, 'key').webhooks.list();
      if (flags.json) return printJson({ items });
      printLine(table(['id', 'url', 'events', 'created'], items.map((hook) => [hook.id, hook.url, hook.events.join(', '), hook.created_at])));
    });

  webhooks
    .command('add')
    .description('register a URL for some events; prints the signing secret (shown only now)')
    .argument('<url>', 'http(s) URL that takes the POSTs')
    .requiredOption('--event <event>', 'accepted, delivered, deferred, bounced, complained, opened, clicked, unsubscribed... (repeat for more)', repeatable)
    .action(async (url: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & { event: string[] }>();
      const added = await clientFor(flags, 'key').webhooks.add({ url, events: flags.event });
      if (flags.json) return printJson(added);
      printLine(table(['id', 'url', 'events', 'secret'], [[added.id, added.url, added.events.join(', '), added.secret]]));
      printNote('keep the secret: it checks X-Outpost-Signature (sha256=HMAC of the body) and is not shown again');
    });

  webhooks
    .command('deliveries')
    .description('a webhook\'s latest deliveries, newest first: status, attempts, last error, next attempt')
    .argument('<id>')
    .option('--limit <n>', 'how many (1-1000, default 100)', wholeNumber(1, 1000))
    .action(async (id: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & { limit?: number }>();
      const items = await clientFor(flags, 'key').webhooks.deliveries(id, flags.limit === undefined ? {} : { limit: flags.limit });
      if (flags.json) return printJson({ items });
      printLine(
        table(
          ['event', 'type', 'status', 'attempts', 'last error', 'next attempt'],
          items.map((delivery) => [delivery.event_id, delivery.event_type, delivery.status, String(delivery.attempts), delivery.last_error ?? '', delivery.next_attempt_at ?? '']),
        ),
      );
    });

  webhooks
    .command('delete')
    .description('stop sending to a webhook')
    .argument('<id>')
    .action(async (id: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      await clientFor(flags, 'key').webhooks.delete(id);
      if (flags.json) return printJson({ deleted: id });
      printLine(`deleted webhook ${id}`);
    });
}
