/**
 * Sending domains (account key): add, list, get, set defaults, delete, verify,
 * rotate the DKIM key. Each answer carries the complete `dns_records` list, with
 * the result of the last verification on each record. Adding never says whether
 * another account holds the domain; only a verification whose records are all
 * published learns that another account verified it first (409).
 */
import type Router from '@koa/router';
import { z } from 'zod';
import type { DnsRecord, DomainRecord } from '../../../core/intake.js';
import { accountIdOf, requireAccount } from '../auth.js';
import { readJson } from '../body.js';
import type { Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';
import { parseBody } from '../validation.js';

export const CreateDomainBody = z.strictObject({
  domain: z.string().min(1).max(253),
  dkim_algorithm: z.enum(['rsa', 'ed25519']).optional(),
});

const ScannerName = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a scan plugin\'s name, e.g. scan-builtin or scan-rspamd');
const SpamThreshold = z.number('must be a number').min(-1000).max(100000);
/** Where an admin loosens scanning: the account owner cannot (plugins/scan/policy.ts). */
const ADMIN_ONLY = 'per account: PATCH /v1/accounts/:id (the admin key)';

/**
 * Content scanning for an account, set by an admin (PATCH /v1/accounts/:id):
 * it replaces the scan plugins' own settings, looser or stricter; fields left out fall back to them.
 */
export const ScanSettingsBody = z.strictObject({
  scanners: z
    .array(ScannerName, 'must be an array of scan plugin names')
    .max(32)
    .optional()
    .describe('the scan plugins that run (scan-builtin, scan-rspamd, scan-spamassassin, scan-clamav); [] runs none; left out: every enabled one'),
  spam_threshold: SpamThreshold.optional().describe('spam score at or above which a message is refused; replaces the scanner\'s own'),
  attachments: z.enum(['refuse', 'allow'], 'must be refuse or allow').optional().describe('dangerous attachment types (executables, scripts, HTML forms, double extensions): refuse or allow'),
});

/**
 * Content scanning for a sending domain, set by the account's owner: it can only
 * make the account's stricter, so what would loosen it is refused with the way to ask an admin.
 * The scan plugins are not known here (OUTPOST_PLUGINS may add any), so a name no enabled one
 * has is taken and runs nothing.
 */
export const DomainScanSettingsBody = z.strictObject({
  scanners: z
    .array(ScannerName, 'must be an array of scan plugin names')
    .min(1, `a domain's scanners run besides the account's and cannot turn any off, so [] does nothing: leave scanners out; only an admin turns scanners off, ${ADMIN_ONLY}`)
    .max(32)
    .optional()
    .describe('scan plugins to run besides the account\'s (they run even when the account\'s list leaves them out); it cannot turn any off; a name no enabled scan plugin has runs nothing'),
  spam_threshold: SpamThreshold.optional().describe('spam score at or above which a message is refused, when lower than the account\'s (else the scanner\'s own); a higher one changes nothing'),
  attachments: z
    .literal('refuse', { error: (issue) => (issue.input === 'allow' ? `only an admin can allow dangerous attachments, ${ADMIN_ONLY}` : 'must be refuse (or left out)') })
    .optional()
    .describe('refuse: dangerous attachment types (executables, scripts, HTML forms, double extensions) are refused even when the account allows them; only an admin allows them'),
});

export const DomainDefaultsBody = z.strictObject({
  require_tls: z.boolean().optional(),
  verify_cert: z.boolean().optional(),
  open_tracking: z.boolean().optional(),
  click_tracking: z.boolean().optional(),
  text_click_tracking: z.boolean().optional(),
  unsubscribe_tracking: z.boolean().optional(),
  test_mode: z.boolean().optional(),
  scan: DomainScanSettingsBody.optional(),
});

export const RotateDkimBody = z.strictObject({ dkim_algorithm: z.enum(['rsa', 'ed25519']).optional() });

const iso = (time: number | undefined) => (time === undefined ? null : new Date(time).toISOString());

function domainView(record: DomainRecord, records: DnsRecord[], expiresAt: number | undefined) {
  return {
    domain: record.domain,
    status: record.status,
    created_at: iso(record.createdAt),
    // a claim not verified by then is removed; null once verified
    expires_at: iso(expiresAt),
    verified_at: iso(record.verifiedAt),
    last_checked_at: iso(record.lastCheckedAt),
    dkim: { selector: record.dkim.active.selector, algorithm: record.dkim.active.algorithm, next_selector: record.dkim.next?.selector ?? null },
    defaults: record.defaults,
    dns_records: records.map((dns) => {
      const checked = record.checks?.find((item) => item.name === dns.name && item.purpose === dns.purpose);
      return {
        purpose: dns.purpose,
        type: dns.type,
        name: dns.name,
        value: dns.value,
        ...(dns.priority !== undefined ? { priority: dns.priority } : {}),
        status: checked?.status ?? 'unchecked',
        ...(checked && checked.status !== 'ok' ? { found: checked.found, reason: checked.reason } : {}),
      };
    }),
  };
}

export function registerDomainRoutes(router: Router<ApiState>, intake: Intake): void {
  const account = requireAccount(intake);
  const limit = 16 * 1024;
  const { domains } = intake;
  const view = (record: DomainRecord) => domainView(record, domains.records(record), domains.expiresAt(record));

  router.post('/v1/domains', account, async (ctx) => {
    const body = parseBody(CreateDomainBody, await readJson(ctx, limit));
    ctx.status = 201;
    ctx.body = view(await domains.create(accountIdOf(ctx), body.domain, body.dkim_algorithm));
  });

  router.get('/v1/domains', account, async (ctx) => {
    ctx.body = { items: (await domains.list(accountIdOf(ctx))).map(view) };
  });

  router.get('/v1/domains/:domain', account, async (ctx) => {
    ctx.body = view(await domains.get(accountIdOf(ctx), ctx.params.domain!));
  });

  router.patch('/v1/domains/:domain', account, async (ctx) => {
    const defaults = parseBody(DomainDefaultsBody, await readJson(ctx, limit));
    ctx.body = view(await domains.updateDefaults(accountIdOf(ctx), ctx.params.domain!, defaults));
  });

  router.delete('/v1/domains/:domain', account, async (ctx) => {
    await domains.delete(accountIdOf(ctx), ctx.params.domain!);
    ctx.status = 204;
  });

  router.post('/v1/domains/:domain/verify', account, async (ctx) => {
    ctx.body = view(await domains.verify(accountIdOf(ctx), ctx.params.domain!));
  });

  router.post('/v1/domains/:domain/dkim/rotate', account, async (ctx) => {
    const body = ctx.request.length ? parseBody(RotateDkimBody, await readJson(ctx, limit)) : {};
    ctx.body = view(await domains.rotateDkim(accountIdOf(ctx), ctx.params.domain!, body.dkim_algorithm));
  });
}
