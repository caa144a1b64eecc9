/**
 * Crash safety of the spool, end to end: Outpost runs in a child process
 * (test/support/outpost-child.ts) that submits 200 messages itself and takes
 * up to 100 REST sends and 60 SMTP submissions (3 STARTTLS + AUTH sessions) at
 * the same time, while delivering them to a real MX; the test kills it with
 * SIGKILL part-way, restarts it on the same data dir, and checks at the MX that
 * every acknowledged message (receipt, HTTP 200 or SMTP 250) arrived, and that
 * the only duplicates are messages that were in flight at the crash (at most
 * one per open connection, each message having one recipient).
 * The run itself is test/support/crash-run.ts, shared with `npm run soak`.
 *
 * The kill point is random; every assertion message carries the seed. To
 * replay a failure: CRASH_TEST_SEED=<seed> npx mocha test/core/spool/crash.test.ts
 * (CRASH_TEST_VERBOSE=1 prints a summary of every run).
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { runCrashIteration } from '../../support/crash-run.js';

const ITERATIONS = 2;
const MESSAGES = 200;
/** Open connections to dest.test, hence transactions (one message each) in flight at most. */
const MAX_CONNECTIONS_PER_DOMAIN = 4;

const SEED_BASE = process.env.CRASH_TEST_SEED ? Number(process.env.CRASH_TEST_SEED) : randomInt(2 ** 31);

describe('spool: kill -9 in the middle of a queue of 200 messages, then restart', function () {
  this.timeout(60_000);

  for (let iteration = 1; iteration <= ITERATIONS; iteration++) {
    it(`delivers every acknowledged message and re-delivers at most the ones in flight (run ${iteration})`, async () => {
      const run = await runCrashIteration({ seed: SEED_BASE + iteration, messages: MESSAGES, maxConnectionsPerDomain: MAX_CONNECTIONS_PER_DOMAIN });
      const context = () => JSON.stringify({ ...run.facts, replay: `CRASH_TEST_SEED=${SEED_BASE}` });
      if (process.env.CRASH_TEST_VERBOSE) console.log(`      crash run ${iteration}: ${context()}`);

      assert.equal(run.firstExit.signal, 'SIGKILL', `the first child died of the kill, not on its own ${context()} output: ${run.childOutput}`);
      assert.deepEqual(run.submitFailures, [], `no submission failed before the kill ${context()}`);
      assert.ok(run.acked.length >= run.killAfter && run.acked.length < MESSAGES, `killed mid-queue ${context()}`);
      assert.deepEqual(run.missing, [], `every acknowledged message is delivered ${context()}`);
      assert.deepEqual(run.queueAtEnd, { queued: 0, active: 0 }, `the restarted server emptied its queue ${context()}`);
      assert.deepEqual(run.unlabelled, [], `every message at the MX carries X-Test-Seq ${context()}`);
      assert.deepEqual(run.neverSubmitted, [], `nothing was delivered that was never submitted ${context()}`);
      assert.deepEqual(run.misaddressed, [], `each message went to its own recipient only ${context()}`);
      assert.deepEqual(run.twiceInOneRun, [], `no run of the server delivers a message twice ${context()}`);
      assert.ok(run.rest.acked.length > 0, `REST sends were acknowledged before the kill ${context()}`);
      assert.deepEqual(run.rest.otherAnswers, [], `REST sends got 200, or the connection died with the server ${context()}`);
      assert.deepEqual(run.rest.missing, [], `every REST send answered 200 is delivered ${context()}`);
      assert.deepEqual([...run.rest.twiceInOneRun, ...run.rest.misaddressed, ...run.rest.neverSent.map(String)], [], `REST sends: once per run, to their own recipient ${context()}`);
      assert.ok(run.smtp.acked.length > 0, `SMTP submissions were answered 250 before the kill ${context()}`);
      assert.deepEqual(run.smtp.failedBeforeKill, [], `no SMTP session or transaction failed while the server was running ${context()}`);
      assert.deepEqual(run.smtp.otherAnswers, [], `SMTP submissions got 250, or the connection died with the server ${context()}`);
      assert.deepEqual(run.smtp.missing, [], `every SMTP submission answered 250 is delivered ${context()}`);
      assert.deepEqual([...run.smtp.twiceInOneRun, ...run.smtp.misaddressed, ...run.smtp.neverSent.map(String)], [], `SMTP submissions: once per run, to their own recipient ${context()}`);
      const redelivered = run.redelivered.length + run.rest.redelivered.length + run.smtp.redelivered.length;
      assert.ok(
        redelivered <= MAX_CONNECTIONS_PER_DOMAIN,
        `at most the ${MAX_CONNECTIONS_PER_DOMAIN} transactions in flight at the kill are delivered again; got ${redelivered} ${context()}`,
      );
      // the message whose 250 never reached the killed server was still queued, so it went out again
      assert.ok(run.unconfirmedRedelivered, `the message at the MX but unconfirmed at the kill is sent again ${context()}`);
      assert.deepEqual(run.secondExit, { code: 0, signal: null }, `the restarted server stops cleanly on SIGTERM ${context()} output: ${run.childOutput}`);
    });
  }
});

describe('spool: kill -9 of the primary while two workers take REST and SMTP, then restart', function () {
  this.timeout(90_000);

  it('delivers every acknowledged message and re-delivers at most the ones in flight', async () => {
    const run = await runCrashIteration({
      seed: SEED_BASE + 100,
      workers: 2,
      maxConnectionsPerDomain: MAX_CONNECTIONS_PER_DOMAIN,
      killAfterMinAcks: 20,
      killAfterMaxAcks: 60,
      restSends: 150,
      smtpSends: 90,
    });
    const context = () => JSON.stringify({ ...run.facts, replay: `CRASH_TEST_SEED=${SEED_BASE}` });
    if (process.env.CRASH_TEST_VERBOSE) console.log(`      crash run with workers: ${context()}`);

    assert.equal(run.firstExit.signal, 'SIGKILL', `the primary died of the kill ${context()} output: ${run.childOutput}`);
    assert.ok(run.rest.acked.length + run.smtp.acked.length >= run.killAfter, `killed after ${run.killAfter} acknowledgements ${context()}`);
    assert.deepEqual(run.queueAtEnd, { queued: 0, active: 0 }, `the restarted server emptied its queue ${context()}`);
    assert.deepEqual(run.rest.otherAnswers, [], `REST sends got 200, or the connection died with the server ${context()}`);
    assert.deepEqual(run.rest.missing, [], `every REST send answered 200 is delivered ${context()}`);
    assert.deepEqual(run.smtp.missing, [], `every SMTP submission answered 250 is delivered ${context()}`);
    assert.deepEqual([...run.rest.twiceInOneRun, ...run.smtp.twiceInOneRun, ...run.rest.misaddressed, ...run.smtp.misaddressed], [], `once per run, to their own recipient ${context()}`);
    const redelivered = run.rest.redelivered.length + run.smtp.redelivered.length;
    assert.ok(redelivered <= MAX_CONNECTIONS_PER_DOMAIN, `at most the transactions in flight are delivered again; got ${redelivered} ${context()}`);
    assert.deepEqual(run.secondExit, { code: 0, signal: null }, `the restarted server stops cleanly on SIGTERM ${context()} output: ${run.childOutput}`);
  });
});
