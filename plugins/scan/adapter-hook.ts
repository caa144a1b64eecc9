/**
 * The scan hook every daemon adapter (rspamd, SpamAssassin, ClamAV) shares:
 * skip messages the account's and domain's settings leave to other scanners,
 * bound the daemon's time by OUTPOST_SCAN_TIMEOUT and the hook's own signal,
 * and turn a daemon that cannot be reached, answers nonsense or answers too
 * late into the `unavailable` finding (deferred, or passed with fail-open).
 * A failure here is never a silent pass.
 */
import type { HookContext, PipelineMessage, PluginApi, Verdict } from 'outpost/plugin';
import { scanReporter, type ScanFinding } from './outcome.js';
import { scannerRuns, scanPolicyOf, type ScanPolicy } from './policy.js';

/** Asks the daemon about one message; throws when it cannot answer. */
export type DaemonScan = (message: PipelineMessage, signal: AbortSignal, policy: ScanPolicy) => Promise<ScanFinding>;

/** Adds the `message:scan` hook of an adapter at `order`. */
export function addAdapterHook(
  api: Pick<PluginApi, 'name' | 'metrics' | 'logger' | 'accounts' | 'domains' | 'addHook'>,
  options: { timeoutMs: number; failOpen: boolean; order: number },
  scan: DaemonScan,
): void {
  const reporter = scanReporter(api, { failOpen: options.failOpen });
  api.addHook(
    'message:scan',
    async (message: PipelineMessage, context: HookContext): Promise<Verdict | undefined> => {
      const policy = await scanPolicyOf(api, message);
      if (!policy || !scannerRuns(policy, api.name)) return undefined;
      const started = performance.now();
      const signal = AbortSignal.any([context.signal, AbortSignal.timeout(options.timeoutMs)]);
      let finding: ScanFinding;
      try {
        finding = await scan(message, signal, policy);
      } catch (error) {
        finding = { verdict: 'unavailable', reason: signal.aborted ? `no answer within ${options.timeoutMs} ms` : (error as Error).message };
      }
      return reporter.conclude(message, finding, started);
    },
    { order: options.order },
  );
}
