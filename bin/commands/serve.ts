/**
 * `outpost serve`: runs the server (what `npm start` does), configured by the
 * OUTPOST_* variables (README's settings table); bin/serve.ts does the work.
 */
import type { Command } from 'commander';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run Outpost: REST API, SMTP submission, delivery (settings from OUTPOST_* variables, see the README)')
    .addHelpText('after', '\nExamples:\n  outpost serve\n  OUTPOST_HTTP_PORT=8081 OUTPOST_SUBMISSION_PORT=2587 OUTPOST_SUBMISSION_TLS_PORT=off outpost serve')
    .action(async () => {
      // loaded only here: the other commands never load the server
      const { serve } = await import('../serve.js');
      await serve();
    });
}
