/**
 * Which scanners run on a message and with what threshold and attachment
 * policy. The account's `scan` settings are an admin's (PATCH /v1/accounts/:id)
 * and replace the plugins' own settings, looser or stricter. The sending
 * domain's (PATCH /v1/domains/:domain) are the account owner's, the party the
 * operator protects its reputation from, so they can only make scanning
 * stricter: its scanners run besides the account's, its spam_threshold counts
 * only when lower, and its attachments only when `refuse`. Looked up once per
 * message for every scan plugin. Messages without an account (DSNs Outpost
 * writes itself) are not scanned. It only reads; it never changes a message
 * or a setting.
 */
import type { PipelineMessage, PluginApi, ScanSettings } from 'outpost/plugin';

/** What the account and its domain ask for; a field left out means "the plugin's own setting". */
export interface ScanPolicy {
  /** The scanners that run: the account's and the domain's together; left out, every enabled one. */
  scanners?: readonly string[];
  /** The account's threshold (an admin's): replaces the scanner's own, higher or lower. */
  spamThreshold?: number;
  /** The domain's threshold: counts only where it is lower than the one in force (spamThresholdFor). */
  domainSpamThreshold?: number;
  attachments?: 'refuse' | 'allow';
}

type PolicySources = Pick<PluginApi, 'accounts' | 'domains'>;

/** One look-up per message, shared by the scan plugins (keyed by the message object, so nothing outlives it). */
const policies = new WeakMap<PipelineMessage, Promise<ScanPolicy | undefined>>();

/** The policy for `message`, or undefined when it is not to be scanned (no account). */
export function scanPolicyOf(sources: PolicySources, message: PipelineMessage): Promise<ScanPolicy | undefined> {
  let policy = policies.get(message);
  if (!policy) {
    policy = lookUp(sources, message);
    policies.set(message, policy);
  }
  return policy;
}

/** Whether the scan plugin `name` runs under `policy`. */
export function scannerRuns(policy: ScanPolicy, name: string): boolean {
  return policy.scanners === undefined || policy.scanners.includes(name);
}

/** The spam threshold in force for a scanner whose own is `own`: the account's, else `own`, lowered by the domain's. */
export function spamThresholdFor(policy: ScanPolicy, own: number): number {
  const threshold = policy.spamThreshold ?? own;
  return policy.domainSpamThreshold === undefined ? threshold : Math.min(threshold, policy.domainSpamThreshold);
}

async function lookUp(sources: PolicySources, message: PipelineMessage): Promise<ScanPolicy | undefined> {
  const accountId = message.accountId;
  if (accountId === undefined) return undefined;
  const author = message.author;
  const [account, domain] = await Promise.all([
    sources.accounts.get(accountId),
    author ? sources.domains.verified(accountId, author.domain) : Promise.resolve(undefined),
  ]);
  return merged(account?.scan, domain?.defaults.scan);
}

/**
 * The account's settings, made stricter by the domain's. A domain's
 * `attachments: 'allow'` or looser threshold (the route refuses the first;
 * either may be stored from before) changes nothing.
 */
function merged(account: Readonly<ScanSettings> | undefined, domain: Readonly<ScanSettings> | undefined): ScanPolicy {
  // no account list means every enabled scanner, which a domain's list cannot add to
  const scanners = account?.scanners && [...new Set([...account.scanners, ...(domain?.scanners ?? [])])];
  const spamThreshold = account?.spam_threshold;
  const domainSpamThreshold = domain?.spam_threshold;
  const attachments = domain?.attachments === 'refuse' ? 'refuse' : account?.attachments;
  return {
    ...(scanners === undefined ? {} : { scanners }),
    ...(spamThreshold === undefined ? {} : { spamThreshold }),
    ...(domainSpamThreshold === undefined ? {} : { domainSpamThreshold }),
    ...(attachments === undefined ? {} : { attachments }),
  };
}
