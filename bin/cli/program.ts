/**
 * The command line (commander): the global flags, every command group from
 * bin/commands/, help on every command, and the one place a command's outcome
 * becomes an exit status (exit-codes.ts) and its error a message on stderr.
 * Commands never call process.exit (only `serve`'s signal handling does): the
 * process ends when its last handle closes, so a command that leaves something
 * running shows up as a hang in its tests rather than being cut off here.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAccountCommands } from '../commands/accounts.js';
import { registerDemoCommand } from '../commands/demo.js';
import { registerDomainCommands } from '../commands/domains.js';
import { registerMessageCommands } from '../commands/messages.js';
import { registerSendCommand } from '../commands/send.js';
import { registerServeCommand } from '../commands/serve.js';
import { registerSuppressionCommands } from '../commands/suppressions.js';
import { registerWebhookCommands } from '../commands/webhooks.js';
import { defaultConfigPath, DEFAULT_URL } from './connection.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { printError } from './output.js';

export function buildProgram(): Command {
  const program = new Command('outpost')
    .description('Outpost, self-hosted transactional mail: run the server, or send and look things up through its REST API')
    .option('--url <url>', `Outpost's HTTP address (env OUTPOST_URL; default ${DEFAULT_URL})`)
    .option('--key <key>', 'account API key, op_... (env OUTPOST_API_KEY)')
    .option('--admin-key <key>', 'admin key, for accounts (env OUTPOST_ADMIN_KEY)')
    .option('--config <file>', `JSON file with url, key, admin_key (env OUTPOST_CONFIG; default ${defaultConfigPath()} when it exists)`)
    .option('--json', 'print the API\'s answer as JSON (for scripts) instead of tables')
    .version(packageVersion(), '-V, --version', 'print the version of this Outpost')
    // set before the commands are added, so each of them inherits it
    .exitOverride()
    .showHelpAfterError(true)
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
  program.configureHelp({ sortSubcommands: false, showGlobalOptions: true });

  registerServeCommand(program);
  registerSendCommand(program);
  registerMessageCommands(program);
  registerDomainCommands(program);
  registerSuppressionCommands(program);
  registerWebhookCommands(program);
  registerAccountCommands(program);
  registerDemoCommand(program);
  return program;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** Runs the command line `argv` (process.argv form); resolves with the exit status. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    // commander has printed its message (and the usage) already; --help and --version end here with 0
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    printError(error, Boolean(program.opts().json));
    return exitCodeFor(error);
  }
}
