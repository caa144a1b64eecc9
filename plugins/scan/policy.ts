/**
 * Which scanners run on a message and with what threshold and attachment
 * policy: the sending domain's `scan` defaults (PATCH /v1/domains/:domain) win
 * field by field over the account's (set by an admin), which win over the
 * plugins' own settings. Looked up once per message for every scan plugin.
 * Messages without an account (DSNs Outpost writes itself) are not scanned.
 * It only reads; it never changes a message or a setting.
 */
import type { PipelineMessage, PluginApi, ScanSettings } from 'outpost/plugin';

/** What the account and its domain ask for; a field left out means "the plugin's own setting". */
export interface ScanPolicy {
  scanners?: readonly string[];
  spamThreshold?: number;
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

function merged(account: Readonly<ScanSettings> | undefined, domain: Readonly<ScanSettings> | undefined): ScanPolicy {
  const scanners = domain?.scanners ?? account?.scanners;
  const spamThreshold = domain?.spam_threshold ?? account?.spam_threshold;
  const attachments = domain?.attachments ?? account?.attachments;
  return {
    ...(scanners === undefined ? {} : { scanners }),
    ...(spamThreshold === undefined ? {} : { spamThreshold }),
    ...(attachments === undefined ? {} : { attachments }),
  };
}
