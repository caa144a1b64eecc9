/**
 * `outpost demo` run as a subprocess, as a new user would run it: it ends by
 * itself with both messages (REST and SMTP) delivered and DKIM passing at the
 * destination, shows the commands to go on by hand, removes its data dir, and
 * leaves no process behind.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { processGroupEnds, runCli } from '../support/cli-process.js';

interface DemoJson {
  url: string;
  domain: string;
  sends: { via: string; id: string; status: string; authentication: { dkim: string; dkimDomain: string; spf: string; dmarc: string } | null }[];
}

describe('outpost demo', function () {
  this.timeout(120_000);

  it('delivers a REST and an SMTP message with DKIM passing, shows how to go on, and stops everything it started', async () => {
    const run = await runCli(['demo']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const dataDir = /data in (\S+) \(removed at the end\)/.exec(run.stdout)?.[1];
    assert.ok(dataDir, run.stdout);
    assert.match(run.stdout, /3\. sent through REST/);
    assert.match(run.stdout, /4\. sent through SMTP submission/);
    assert.equal(run.stdout.match(/│ delivered │.*│ pass \(d=demo\.test\) │ pass │ pass/g)?.length, 2, run.stdout);
    assert.match(run.stdout, /Go on by hand[\s\S]*export OUTPOST_URL=http:\/\/127\.0\.0\.1:\d+ OUTPOST_API_KEY=op_[\s\S]*npx outpost send --from hello@demo\.test/);
    assert.match(run.stdout, /stopped the demo's servers/);
    assert.equal(run.stderr, '', 'nothing on stderr: no warnings, no errors');
    assert.equal(existsSync(dataDir), false, 'the data dir is removed');
    assert.ok(await processGroupEnds(run.pid), 'no process of the demo is left');
  });

  it('--json prints a summary that parses', async () => {
    const run = await runCli(['demo', '--json']);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as DemoJson;
    assert.deepEqual(summary.sends.map((send) => [send.via, send.status, send.authentication?.dkim, send.authentication?.dmarc]), [['REST', 'delivered', 'pass', 'pass'], ['SMTP', 'delivered', 'pass', 'pass']]);
    assert.ok(await processGroupEnds(run.pid), 'no process of the demo is left');
  });
});
