/**
 * The typed hook map and its registry. A hook answers with a verdict: continue,
 * reject (permanent, SMTP 5xx) or defer (temporary, 4xx). The first hook that
 * answers something other than continue decides (Haraka); a throw or a timeout
 * is a temporary failure, never a silent pass. Every call is bounded by a timeout
 * and its verdict is recorded on the message's results.
 */
import { isErrorCode, isOutpostError, outpostError, type OutpostError } from '../errors.js';
import type { InboundMessage } from '../inbound-message.js';
import type { PipelineMessage } from '../message.js';
import type { DeliveryGroup } from '../send/delivery-group.js';

/** What a hook answers. Returning nothing means continue. */
export type Verdict =
  | { action: 'continue' }
  | { action: 'reject' | 'defer'; code: number; status: string; text: string; errorCode?: string };

export type HookReturn = Verdict | void | Promise<Verdict | void>;

/** Builders so plugins never spell a verdict by hand. */
export const verdict = {
  continue: (): Verdict => ({ action: 'continue' }),
  /**
   * Permanent refusal: `reject(550, '5.7.1', 'message looks like spam')`. `errorCode`
   * (a code of the error registry, core/errors.ts, or one the plugin registered with
   * api.registerErrorCode) sets the REST error code and status instead of `message_rejected`.
   */
  reject: (code: number, status: string, text: string, errorCode?: string): Verdict => checkedReply('reject', code, status, text, errorCode),
  /** Temporary refusal: `defer(451, '4.7.1', 'try again later')`. */
  defer: (code: number, status: string, text: string, errorCode?: string): Verdict => checkedReply('defer', code, status, text, errorCode),
};

function checkedReply(action: 'reject' | 'defer', code: number, status: string, text: string, errorCode?: string): Verdict {
  const expectedClass = action === 'reject' ? 5 : 4;
  if (Math.floor(code / 100) !== expectedClass || !new RegExp(`^${expectedClass}\\.\\d{1,3}\\.\\d{1,3}$`).test(status)) {
    throw outpostError('plugin_invalid', `${action} needs a ${expectedClass}xx code and a ${expectedClass}.x.y status, got ${code} ${status}`);
  }
  if (/[\r\n]/.test(text)) throw outpostError('plugin_invalid', 'a verdict text must be one line (no CR or LF)');
  if (errorCode !== undefined && !isErrorCode(errorCode)) throw outpostError('plugin_invalid', `unknown error code "${errorCode}"; use a code of core/errors.ts or register it first with api.registerErrorCode()`);
  return { action, code, status, text, ...(errorCode ? { errorCode } : {}) };
}

/** What every hook gets besides its subject. */
export interface HookContext {
  /** Name of the plugin whose hook is running, for its own logs. */
  plugin: string;
  /** Aborted when the hook's time is up; pass it to fetches and DNS lookups. */
  signal: AbortSignal;
}

/** Pipeline stages, in the order a message goes through them. */
export interface Hooks {
  /** Check the envelope and content; reject what must not be sent. */
  'message:validate': (message: PipelineMessage, context: HookContext) => HookReturn;
  /** Look for spam and malware. */
  'message:scan': (message: PipelineMessage, context: HookContext) => HookReturn;
  /** Add signatures (DKIM). Runs after every content change, on CRLF-normalised bytes. */
  'message:sign': (message: PipelineMessage, context: HookContext) => HookReturn;
  /** Last look before the message is written to the spool. */
  'message:queue': (message: PipelineMessage, context: HookContext) => HookReturn;
  /** Before each delivery attempt of a group of recipients: defer or bounce them, or continue. */
  'delivery:before': (group: DeliveryGroup, context: HookContext) => HookReturn;
  /**
   * Mail that arrived on the inbound MX listener (bounces, complaints, replies to
   * return paths), before it is answered: reject refuses it at the end of DATA,
   * defer asks the sender to try again, continue accepts it.
   */
  'mx:message': (message: InboundMessage, context: HookContext) => HookReturn;
}

export type HookName = keyof Hooks;
export const HOOK_NAMES: readonly HookName[] = ['message:validate', 'message:scan', 'message:sign', 'message:queue', 'delivery:before', 'mx:message'];

export interface HookOptions {
  /** Lower runs first; built-ins use 0-100, third parties default to 500. */
  order?: number;
}

interface RegisteredHook<K extends HookName> {
  plugin: string;
  order: number;
  fn: Hooks[K];
}

/** How long one hook call took and what it answered (metrics). */
export interface HookTiming {
  hook: HookName;
  plugin: string;
  action: Verdict['action'];
  ms: number;
}

/** The outcome of running every hook of one name. */
export interface HookRunResult {
  verdict: Verdict;
  plugin: string | undefined;
}

export class HookRegistry {
  private readonly hooks = new Map<HookName, RegisteredHook<HookName>[]>();
  /** Told about every hook call (every name, throws and timeouts included), for metrics; must not throw. */
  onHookTimed: ((timing: HookTiming) => void) | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Registers `fn` for `name`; unknown names fail at registration, not at first message. */
  add<K extends HookName>(plugin: string, name: K, fn: Hooks[K], options: HookOptions = {}): void {
    if (!HOOK_NAMES.includes(name)) {
      throw outpostError('plugin_invalid', `plugin ${plugin}: unknown hook "${String(name)}"; known hooks: ${HOOK_NAMES.join(', ')}`);
    }
    if (typeof fn !== 'function') throw outpostError('plugin_invalid', `plugin ${plugin}: hook ${name} must be a function`);
    const list = this.hooks.get(name) ?? [];
    list.push({ plugin, order: options.order ?? 500, fn: fn as Hooks[HookName] });
    // stable sort: equal orders keep registration order
    list.sort((a, b) => a.order - b.order);
    this.hooks.set(name, list);
  }

  /**
   * Runs the hooks of `name` in order until one does not continue.
   * `record` receives each verdict (the message's results object).
   */
  async run<K extends HookName>(
    name: K,
    subject: Parameters<Hooks[K]>[0],
    record?: (result: { plugin: string; action: Verdict['action']; text?: string; ms: number }) => void,
  ): Promise<HookRunResult> {
    for (const hook of this.hooks.get(name) ?? []) {
      const started = performance.now();
      const result = await this.callBounded(name, hook, subject);
      const ms = performance.now() - started;
      this.onHookTimed?.({ hook: name, plugin: hook.plugin, action: result.action, ms });
      record?.({ plugin: hook.plugin, action: result.action, ...(result.action === 'continue' ? {} : { text: result.text }), ms });
      if (result.action !== 'continue') return { verdict: result, plugin: hook.plugin };
    }
    return { verdict: verdict.continue(), plugin: undefined };
  }

  private async callBounded(name: HookName, hook: RegisteredHook<HookName>, subject: unknown): Promise<Verdict> {
    // made on first use: most hooks never look at their signal, and every message runs several hooks
    let controller: AbortController | undefined;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        controller?.abort();
        reject(outpostError('plugin_failed', `plugin ${hook.plugin}: hook ${name} did not answer within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
    });
    try {
      const call = (hook.fn as (subject: unknown, context: HookContext) => HookReturn)(subject, {
        plugin: hook.plugin,
        get signal() {
          if (!controller) {
            controller = new AbortController();
            if (timedOut) controller.abort();
          }
          return controller.signal;
        },
      });
      const answer: unknown = await Promise.race([Promise.resolve(call), timeout]);
      if (answer === undefined) return verdict.continue();
      if (!isVerdict(answer)) {
        return failureVerdict(`plugin ${hook.plugin}: hook ${name} returned something that is not a verdict; return verdict.continue(), verdict.reject() or verdict.defer()`);
      }
      return answer;
    } catch (error) {
      if (isOutpostError(error) && error.code !== 'plugin_failed') return verdictOfError(error);
      if (isOutpostError(error)) return failureVerdict(error.message);
      return failureVerdict(`plugin ${hook.plugin}: hook ${name} failed: ${(error as Error)?.message ?? String(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

function isVerdict(value: unknown): value is Verdict {
  const action = (value as { action?: unknown } | null)?.action;
  return action === 'continue' || action === 'reject' || action === 'defer';
}

/**
 * An error of the registry a hook let through (a facade's refusal, such as
 * domains.requireVerified's domain_not_verified) answers with its own reply and
 * code: a 5xx one rejects, anything else defers.
 */
function verdictOfError(error: OutpostError): Verdict {
  const { code, status, text } = error.smtpReply();
  return { action: code >= 500 ? 'reject' : 'defer', code, status, text: text.replace(/[\r\n]+/g, ' '), errorCode: error.code };
}

/** A failing plugin means "try again later", never "accepted". */
function failureVerdict(text: string): Verdict {
  return { action: 'defer', code: 451, status: '4.3.0', text: text.replace(/[\r\n]+/g, ' ') };
}
