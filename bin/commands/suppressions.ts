/**
 * `outpost suppressions list|add|get|remove`: the addresses the account does
 * not send to (hard bounces, complaints, manual entries).
 */
import type { Command } from 'commander';
import type { Suppression } from '../../api/client/index.js';
import { clientFor, type GlobalFlags } from '../cli/connection.js';
import { printJson, printLine, table } from '../cli/output.js';

export function registerSuppressionCommands(program: Command): void {
  const suppressions = program.command('suppressions').description('addresses this account does not send to, until removed');
  const rows = (items: Suppression[]) => table(['address', 'reason', 'since'], items.map((item) => [item.address, item.reason, item.created_at]));

  suppressions
    .command('list')
    .description('the suppression list, newest first')
    .action(async (_flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const items = await clientFor(flags, 'key').suppressions.list();
      if (flags.json) return printJson({ items });
      printLine(rows(items));
    });

  suppressions
    .command('add')
    .description('stop sending to an address (reason manual)')
    .argument('<address>')
    .action(async (address: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const added = await clientFor(flags, 'key').suppressions.add(address);
      if (flags.json) return printJson(added);
      printLine(rows([added]));
    });

  suppressions
    .command('get')
    .description('whether an address is suppressed, and why (exit 2, not_found, when it is not)')
    .argument('<address>')
    .action(async (address: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      const found = await clientFor(flags, 'key').suppressions.get(address);
      if (flags.json) return printJson(found);
      printLine(rows([found]));
    });

  suppressions
    .command('remove')
    .description('send to an address again')
    .argument('<address>')
    .action(async (address: string, _flags: object, command: Command) => {
      const flags = command.optsWithGlobals<GlobalFlags>();
      await clientFor(flags, 'key').suppressions.remove(address);
      if (flags.json) return printJson({ removed: address });
      printLine(`removed ${address}`);
    });
}
