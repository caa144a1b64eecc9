#!/usr/bin/env -S npx tsx
/**
 * The `outpost` command (the package's bin): `outpost serve` runs the server
 * (npm start), the other commands talk to a running server through the client
 * (api/client), `outpost demo` tries everything on loopback. A worker forked
 * by the primary runs this file too (core/workers/primary.ts): it serves,
 * whatever the arguments, before any command-line parsing. Exit codes are in
 * bin/cli/exit-codes.ts.
 */
import cluster from 'node:cluster';

if (cluster.isWorker) {
  const { serve } = await import('./serve.js');
  await serve();
} else {
  const { runCli } = await import('./cli/program.js');
  process.exitCode = await runCli(process.argv);
}
