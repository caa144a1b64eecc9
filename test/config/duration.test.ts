// Tests config/duration.ts: parseDuration units and errors, parseRetrySchedule expansion and errors.
import assert from 'node:assert/strict';
import { parseDuration, parseRetrySchedule } from '../../config/duration.js';
import { isOutpostError } from '../../core/errors.js';

function throwsConfigInvalid(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isOutpostError(error, 'config_invalid'), `expected a config_invalid error, got ${String(error)}`);
    assert.equal(error.code, 'config_invalid');
    assert.match(error.message, pattern);
    return true;
  });
}

describe('parseDuration', () => {
  it('converts each unit to milliseconds', () => {
    assert.equal(parseDuration('250ms', 'V'), 250);
    assert.equal(parseDuration('30s', 'V'), 30_000);
    assert.equal(parseDuration('5m', 'V'), 300_000);
    assert.equal(parseDuration('2h', 'V'), 7_200_000);
    assert.equal(parseDuration('5d', 'V'), 432_000_000);
  });

  it('accepts fractions, upper-case units and surrounding spaces', () => {
    assert.equal(parseDuration('1.5s', 'V'), 1500);
    assert.equal(parseDuration('0.5ms', 'V'), 1); // rounded
    assert.equal(parseDuration('1H', 'V'), 3_600_000);
    assert.equal(parseDuration(' 10 m ', 'V'), 600_000);
    assert.equal(parseDuration('0s', 'V'), 0);
  });

  it('refuses values that are not durations, naming the variable', () => {
    for (const bad of ['', '5', 'm', '5 minutes', '-5m', '5w', '1.m', 'abc', '5m5s']) {
      throwsConfigInvalid(() => parseDuration(bad, 'OUTPOST_SOMETHING'), /^OUTPOST_SOMETHING: ".*" is not a duration/);
    }
  });

  it('quotes the bad text in the message', () => {
    throwsConfigInvalid(() => parseDuration('7 fortnights', 'OUTPOST_X'), /"7 fortnights"/);
  });
});

describe('parseRetrySchedule', () => {
  it('parses a plain comma-separated list', () => {
    assert.deepEqual(parseRetrySchedule('5m,10m,30m', 'V'), [300_000, 600_000, 1_800_000]);
  });

  it('expands *N repeats in place', () => {
    assert.deepEqual(parseRetrySchedule('1m,5m*2,1h', 'V'), [60_000, 300_000, 300_000, 3_600_000]);
  });

  it('tolerates spaces around steps', () => {
    assert.deepEqual(parseRetrySchedule(' 1m , 2m *3 ', 'V'), [60_000, 120_000, 120_000, 120_000]);
  });

  it('parses a single step', () => {
    assert.deepEqual(parseRetrySchedule('90s', 'V'), [90_000]);
  });

  it('refuses a bad repeat count, naming the variable and the step', () => {
    for (const bad of ['5m*0', '5m*-1', '5m*1.5', '5m*x', '5m*', '5m*1001', '5m*2*3', '5m*1e2']) {
      throwsConfigInvalid(() => parseRetrySchedule(`1m,${bad}`, 'OUTPOST_RETRY_SCHEDULE'), /^OUTPOST_RETRY_SCHEDULE: ".*" has a bad repeat count/);
    }
  });

  it('accepts the largest allowed repeat count', () => {
    assert.equal(parseRetrySchedule('1s*1000', 'V').length, 1000);
  });

  it('refuses a bad duration inside the schedule', () => {
    throwsConfigInvalid(() => parseRetrySchedule('5m,soon,1h', 'OUTPOST_RETRY_SCHEDULE'), /^OUTPOST_RETRY_SCHEDULE: "soon" is not a duration/);
  });

  it('refuses an empty schedule or an empty step, naming the variable', () => {
    throwsConfigInvalid(() => parseRetrySchedule('', 'OUTPOST_RETRY_SCHEDULE'), /OUTPOST_RETRY_SCHEDULE/);
    throwsConfigInvalid(() => parseRetrySchedule('5m,,1h', 'OUTPOST_RETRY_SCHEDULE'), /OUTPOST_RETRY_SCHEDULE/);
    throwsConfigInvalid(() => parseRetrySchedule('5m,', 'OUTPOST_RETRY_SCHEDULE'), /OUTPOST_RETRY_SCHEDULE/);
  });
});
