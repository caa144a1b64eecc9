/**
 * `outpost accounts ...` (the admin key): create accounts (printing the key,
 * shown only then), list, show, disable, enable, resume a paused one, rotate a
 * key, read an account's health, delete. `accounts health` without an id reads
 * the account of --key instead.
 */
import type { Command } from 'commander';
import type { Account, AccountHealth, AccountWithKey, Outpost } from '../../api/client/index.js';
import { clientFor, type GlobalFlags } from '../cli/connection.js';
import { fieldTable, printJson, printLine, printNote, table } from '../cli/output.js';

export function registerAccountCommands(program: Command): void {
  const accounts = program.command('accounts').description('accounts and their API keys (admin key; health of your own account with --key)');
  const admin = (command: Command) => clientFor(command.optsWithGlobals<GlobalFlags>(), 'admin-key');
  const json = (command: Command) => Boolean(command.optsWithGlobals<GlobalFlags>().json);
  const rows = (items: Account[]) => table(['id', 'name', 'status', 'created', 'key rotated'], items.map((account) => [
    account.id,
    account.name,
    account.status + (account.paused_reason ? ` (${account.paused_reason})` : ''),
    account.created_at,
    account.key_rotated_at,
  ]));
  const showKey = (command: Command, account: AccountWithKey) => {
    if (json(command)) return printJson(account);
    printLine(fieldTable([['id', account.id], ['name', account.name], ['api key', account.api_key]]));
    printNote('the key is shown only now: keep it (it is also the SMTP AUTH password)');
  };

  accounts
    .command('create')
    .description('create an account; prints its API key (shown only now)')
    .argument('<name>')
    .action(async (name: string, _flags: object, command: Command) => showKey(command, await admin(command).accounts.create(name)));

  accounts
    .command('list')
    .description('every account')
    .action(async (_flags: object, command: Command) => {
      const items = await admin(command).accounts.list();
      if (json(command)) return printJson({ items });
      printLine(rows(items));
    });

  const change = (name: string, description: string, run: (client: Outpost, id: string) => Promise<Account>) =>
    accounts
      .command(name)
      .description(description)
      .argument('<id>', 'account id')
      .action(async (id: string, _flags: object, command: Command) => {
        const account = await run(admin(command), id);
        if (json(command)) return printJson(account);
        printLine(rows([account]));
      });
  change('get', 'one account', (client, id) => client.accounts.get(id));
  change('disable', 'disable an account: its key stops working at once', (client, id) => client.accounts.disable(id));
  change('enable', 'enable a disabled account', (client, id) => client.accounts.enable(id));
  change('resume', 'let a paused account (bounce or complaint rate too high) send again', (client, id) => client.accounts.resume(id));

  accounts
    .command('rotate-key')
    .description('replace an account\'s API key; the old one stops working at once')
    .argument('<id>', 'account id')
    .action(async (id: string, _flags: object, command: Command) => showKey(command, await admin(command).accounts.rotateKey(id)));

  accounts
    .command('health')
    .description('bounce and complaint rates and the thresholds that pause an account (without an id: your own, with --key)')
    .argument('[id]', 'account id (admin key)')
    .action(async (id: string | undefined, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const health = id ? await admin(command).accounts.health(id) : await clientFor(flags, 'key').account.health();
      if (flags.json) return printJson(health);
      printLine(healthTable(health));
    });

  accounts
    .command('delete')
    .description('delete an account')
    .argument('<id>', 'account id')
    .action(async (id: string, _flags: object, command: Command) => {
      await admin(command).accounts.delete(id);
      if (json(command)) return printJson({ deleted: id });
      printLine(`deleted account ${id}`);
    });
}

function healthTable(health: AccountHealth): string {
  const percent = (rate: number) => `${(rate * 100).toFixed(2)}%`;
  return fieldTable([
    ['status', health.status + (health.paused_reason ? ` (${health.paused_reason})` : '')],
    ['window', `${health.window_hours} h`],
    ['delivered', health.delivered],
    ['bounced', `${health.bounced} (${health.hard_bounces} hard)`],
    ['complaints', health.complaints],
    ['bounce rate', `${percent(health.bounce_rate)} (pauses at ${percent(health.pause_bounce_rate)})`],
    ['complaint rate', `${percent(health.complaint_rate)} (pauses at ${percent(health.pause_complaint_rate)})`],
    ['counted from', `${health.min_sent} recipients sent`],
  ]);
}
