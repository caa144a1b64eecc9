/**
 * Sending domains (account key): add, list, get, set defaults, delete, verify,
 * rotate the DKIM key. Each answer carries the complete `dns_records` list, with
 * the result of the last verification on each record.
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

/** Content scanning for a domain or an account (the scan plugins); fields left out fall back. */
export const ScanSettingsBody = z.strictObject({
  scanners: z
    .array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a scan plugin\'s name, e.g. scan-builtin or scan-rspamd'), 'must be an array of scan plugin names')
    .max(32)
    .optional()
    .describe('the scan plugins that run (scan-builtin, scan-rspamd, scan-spamassassin, scan-clamav); [] runs none; left out: every enabled one'),
  spam_threshold: z.number('must be a number').min(-1000).max(100000).optional().describe('spam score at or above which a message is refused'),
  attachments: z.enum(['refuse', 'allow'], 'must be refuse or allow').optional().describe('dangerous attachment types (executables, scripts, HTML forms, double extensions): refuse or allow'),
});

export const DomainDefaultsBody = z.strictObject({
  require_tls: z.boolean().optional(),
  verify_cert: z.boolean().optional(),
  open_tracking: z.boolean().optional(),
  click_tracking: z.boolean().optional(),
  text_click_tracking: z.boolean().optional(),
  unsubscribe_tracking: z.boolean().optional(),
  test_mode: z.boolean().optional(),
  scan: ScanSettingsBody.optional(),
});

export const RotateDkimBody = z.strictObject({ dkim_algorithm: z.enum(['rsa', 'ed25519']).optional() });

const iso = (time: number | undefined) => (time === undefined ? null : new Date(time).toISOString());

function domainView(record: DomainRecord, records: DnsRecord[]) {
  return {
    domain: record.domain,
    status: record.status,
    created_at: iso(record.createdAt),
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
  const view = (record: DomainRecord) => domainView(record, domains.records(record));

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
