// Tests core/pipeline/hooks.ts: HookRegistry ordering, verdicts, failures, timeouts, recording and verdict builders.
import assert from 'node:assert/strict';
import { HookRegistry, verdict, type Verdict } from '../../../core/plugins/hooks.js';
import { isOutpostError } from '../../../core/errors.js';
import type { PipelineMessage } from '../../../core/message.js';

const message = { id: 'test-message' } as unknown as PipelineMessage;

type Recorded = { plugin: string; action: Verdict['action']; text?: string; ms: number };

describe('HookRegistry', () => {
  it('runs hooks by order, lower first, equal orders in registration order', async () => {
    const registry = new HookRegistry(1000);
    const calls: string[] = [];
    registry.add('late', 'message:scan', () => void calls.push('late'), { order: 900 });
    registry.add('default-1', 'message:scan', () => void calls.push('default-1'));
    registry.add('early', 'message:scan', () => void calls.push('early'), { order: 10 });
    registry.add('default-2', 'message:scan', () => void calls.push('default-2'));
    registry.add('early-2', 'message:scan', () => void calls.push('early-2'), { order: 10 });
    registry.add('default-3', 'message:scan', () => void calls.push('default-3'), { order: 500 });
    const result = await registry.run('message:scan', message);
    assert.deepEqual(calls, ['early', 'early-2', 'default-1', 'default-2', 'default-3', 'late']);
    assert.deepEqual(result, { verdict: { action: 'continue' }, plugin: undefined });
  });

  it('only runs the hooks of the name asked for, and continues when there are none', async () => {
    const registry = new HookRegistry(1000);
    let signCalls = 0;
    registry.add('signer', 'message:sign', () => void signCalls++);
    assert.deepEqual(await registry.run('message:validate', message), { verdict: { action: 'continue' }, plugin: undefined });
    assert.equal(signCalls, 0);
  });

  it('passes the subject and a context naming the plugin', async () => {
    const registry = new HookRegistry(1000);
    let seen: unknown;
    let plugin: string | undefined;
    let signal: AbortSignal | undefined;
    registry.add('probe', 'message:validate', (subject, context) => {
      seen = subject;
      plugin = context.plugin;
      signal = context.signal;
    });
    await registry.run('message:validate', message);
    assert.equal(seen, message);
    assert.equal(plugin, 'probe');
    assert.ok(signal instanceof AbortSignal);
    assert.equal(signal.aborted, false, 'a hook that answered in time is not aborted');
  });

  it('stops at the first verdict that is not continue', async () => {
    const registry = new HookRegistry(1000);
    const calls: string[] = [];
    registry.add('a', 'message:validate', () => {
      calls.push('a');
      return verdict.continue();
    }, { order: 1 });
    registry.add('b', 'message:validate', async () => {
      calls.push('b');
      return verdict.reject(550, '5.7.1', 'spam');
    }, { order: 2 });
    registry.add('c', 'message:validate', () => {
      calls.push('c');
      return verdict.defer(451, '4.7.1', 'later');
    }, { order: 3 });
    const result = await registry.run('message:validate', message);
    assert.deepEqual(calls, ['a', 'b']);
    assert.deepEqual(result, { verdict: { action: 'reject', code: 550, status: '5.7.1', text: 'spam' }, plugin: 'b' });
  });

  it('turns a throwing hook into a 451 4.3.0 defer naming the plugin', async () => {
    const registry = new HookRegistry(1000);
    let after = false;
    registry.add('broken', 'message:scan', () => {
      throw new Error('boom\r\nsecond line');
    });
    registry.add('after', 'message:scan', () => void (after = true));
    const result = await registry.run('message:scan', message);
    assert.equal(result.plugin, 'broken');
    assert.equal(result.verdict.action, 'defer');
    assert.ok(result.verdict.action === 'defer');
    assert.equal(result.verdict.code, 451);
    assert.equal(result.verdict.status, '4.3.0');
    assert.match(result.verdict.text, /plugin broken/);
    assert.match(result.verdict.text, /message:scan/);
    assert.match(result.verdict.text, /boom/);
    assert.doesNotMatch(result.verdict.text, /[\r\n]/);
    assert.equal(after, false, 'a failure stops the chain');
  });

  it('turns a rejected promise (even with a non-Error) into a defer', async () => {
    const registry = new HookRegistry(1000);
    registry.add('async-broken', 'message:queue', () => Promise.reject(new Error('disk on fire')));
    const first = await registry.run('message:queue', message);
    assert.equal(first.verdict.action, 'defer');
    assert.ok(first.verdict.action === 'defer' && first.verdict.text.includes('disk on fire'));

    const other = new HookRegistry(1000);
    other.add('string-thrower', 'message:queue', () => {
      throw 'plain string';
    });
    const second = await other.run('message:queue', message);
    assert.ok(second.verdict.action === 'defer');
    assert.equal(second.verdict.code, 451);
    assert.match(second.verdict.text, /string-thrower/);
  });

  it('defers a hook that never answers once the timeout passes, and aborts its signal', async () => {
    const registry = new HookRegistry(50);
    let signal: AbortSignal | undefined;
    let abortEvents = 0;
    registry.add('stuck', 'delivery:before', (_group, context) => {
      signal = context.signal;
      context.signal.addEventListener('abort', () => abortEvents++);
      return new Promise<void>(() => undefined);
    });
    const started = performance.now();
    const result = await registry.run('delivery:before', {} as never);
    const elapsed = performance.now() - started;
    assert.equal(result.plugin, 'stuck');
    assert.ok(result.verdict.action === 'defer');
    assert.equal(result.verdict.code, 451);
    assert.equal(result.verdict.status, '4.3.0');
    assert.match(result.verdict.text, /plugin stuck: hook delivery:before did not answer within 50 ms/);
    assert.ok(elapsed >= 45, `timed out after ${elapsed} ms, before the 50 ms timeout`);
    assert.ok(signal?.aborted, 'the hook signal is aborted');
    assert.equal(abortEvents, 1);
  });

  it('gives a hook that first looks at its signal after the timeout an aborted one', async () => {
    const registry = new HookRegistry(30);
    let lookLater: (() => AbortSignal) | undefined;
    registry.add('late-looker', 'delivery:before', (_group, context) => {
      lookLater = () => context.signal;
      return new Promise<void>(() => undefined);
    });
    await registry.run('delivery:before', {} as never);
    assert.equal(lookLater!().aborted, true);
  });

  it('defers, naming the plugin, when a hook returns something that is not a verdict', async () => {
    const registry = new HookRegistry(1000);
    registry.add('sloppy', 'message:validate', (() => true) as never);
    const { verdict: answer, plugin } = await registry.run('message:validate', message);
    assert.equal(plugin, 'sloppy');
    assert.equal(answer.action, 'defer');
    assert.match((answer as { text: string }).text, /sloppy.*not a verdict/);
  });

  it('refuses an unknown hook name at add()', () => {
    const registry = new HookRegistry(1000);
    assert.throws(
      () => registry.add('typo', 'message:sacn' as never, (() => undefined) as never),
      (error: unknown) => isOutpostError(error, 'plugin_invalid') && error.code === 'plugin_invalid' && /typo/.test(error.message) && /message:sacn/.test(error.message),
    );
  });

  it('refuses a hook that is not a function', () => {
    const registry = new HookRegistry(1000);
    assert.throws(() => registry.add('p', 'message:scan', 'nope' as never), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
  });

  it('gives the record callback each plugin\'s verdict', async () => {
    const registry = new HookRegistry(1000);
    registry.add('ok', 'message:validate', () => undefined, { order: 1 });
    registry.add('explicit', 'message:validate', () => verdict.continue(), { order: 2 });
    registry.add('deferrer', 'message:validate', () => verdict.defer(421, '4.4.5', 'busy'), { order: 3 });
    registry.add('never', 'message:validate', () => verdict.reject(550, '5.0.0', 'unreached'), { order: 4 });
    const recorded: Recorded[] = [];
    await registry.run('message:validate', message, (entry) => recorded.push(entry));
    assert.deepEqual(
      recorded.map(({ ms, ...rest }) => {
        assert.equal(typeof ms, 'number');
        assert.ok(ms >= 0);
        return rest;
      }),
      [
        { plugin: 'ok', action: 'continue' },
        { plugin: 'explicit', action: 'continue' },
        { plugin: 'deferrer', action: 'defer', text: 'busy' },
      ],
    );
  });

  it('records a failed hook as a defer', async () => {
    const registry = new HookRegistry(1000);
    registry.add('broken', 'message:sign', () => {
      throw new Error('no key');
    });
    const recorded: Recorded[] = [];
    await registry.run('message:sign', message, (entry) => recorded.push(entry));
    assert.equal(recorded.length, 1);
    assert.equal(recorded[0]!.plugin, 'broken');
    assert.equal(recorded[0]!.action, 'defer');
    assert.match(recorded[0]!.text!, /no key/);
  });
});

describe('verdict builders', () => {
  it('build well-formed verdicts', () => {
    assert.deepEqual(verdict.continue(), { action: 'continue' });
    assert.deepEqual(verdict.reject(550, '5.7.1', 'spam'), { action: 'reject', code: 550, status: '5.7.1', text: 'spam' });
    assert.deepEqual(verdict.defer(451, '4.7.1', 'later'), { action: 'defer', code: 451, status: '4.7.1', text: 'later' });
    assert.deepEqual(verdict.reject(554, '5.123.456', 'x'), { action: 'reject', code: 554, status: '5.123.456', text: 'x' });
  });

  it('refuse a code of the wrong class', () => {
    assert.throws(() => verdict.reject(450, '5.7.1', 'x'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
    assert.throws(() => verdict.defer(550, '4.7.1', 'x'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
    assert.throws(() => verdict.reject(250, '5.7.1', 'x'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
  });

  it('refuse a status of the wrong class or shape', () => {
    assert.throws(() => verdict.reject(550, '4.7.1', 'x'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
    assert.throws(() => verdict.defer(451, '5.7.1', 'x'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
    assert.throws(() => verdict.reject(550, '5.7', 'x'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
    assert.throws(() => verdict.reject(550, '5.7.1 ', 'x'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
    assert.throws(() => verdict.reject(550, '5.1234.1', 'x'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
  });

  it('refuse a multi-line text', () => {
    assert.throws(() => verdict.reject(550, '5.7.1', 'spam\r\n250 ok'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
    assert.throws(() => verdict.defer(451, '4.7.1', 'a\nb'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
    assert.throws(() => verdict.defer(451, '4.7.1', 'a\rb'), (error: unknown) => isOutpostError(error, 'plugin_invalid'));
  });
});
