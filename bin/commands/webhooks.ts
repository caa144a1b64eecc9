/**
 * `outpost webhooks list|add|delete`: URLs that get this account's events as
 * signed POSTs. add prints the signing secret, which is shown only then.
 */
import type { Command } from 'commander';
import { clientFor, type GlobalFlags } from '../cli/connection.js';
import { repeatable } from '../cli/option-parsers.js';
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
    .requiredOption('--event <event>', 'accepted, delivered, deferred, bounced, complained (repeat for more)', repeatable)
    .action(async (url: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags & { event: string[] }>();
      const added = await clientFor(flags, 'key').webhooks.add({ url, events: flags.event });
      if (flags.json) return printJson(added);
      printLine(table(['id', 'url', 'events', 'secret'], [[added.id, added.url, added.events.join(', '), added.secret]]));
      printNote('keep the secret: it checks X-Outpost-Signature (sha256=HMAC of the body) and is not shown again');
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
