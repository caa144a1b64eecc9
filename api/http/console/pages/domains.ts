/**
 * The account's sending domains: add one, see each DNS record to publish (with
 * a copy button) and how the last check found it (ok, missing, or wrong and
 * what was found instead), check again now, start a DKIM key rotation.
 */
import type Router from '@koa/router';
import type { DomainRecord, Intake } from '../../../../core/intake.js';
import { fieldOf } from '../form.js';
import { accountIdOf, type ConsolePageDeps } from '../deps.js';
import type { ConsoleState } from '../render.js';

const PURPOSES: Readonly<Record<string, string>> = {
  ownership: 'Ownership',
  spf: 'SPF',
  dkim: 'DKIM',
  dmarc: 'DMARC',
  return_path_mx: 'Return path (bounces)',
  return_path_spf: 'Return path SPF',
};

/** Each record to publish with the last check's result on it. */
function recordsOf(intake: Intake, record: DomainRecord) {
  return intake.domains.records(record).map((dns) => {
    const checked = record.checks?.find((item) => item.name === dns.name && item.purpose === dns.purpose);
    return {
      purpose: PURPOSES[dns.purpose] ?? dns.purpose,
      type: dns.type,
      name: dns.name,
      value: dns.value,
      priority: dns.priority,
      status: checked?.status ?? 'unchecked',
      found: checked && checked.status !== 'ok' ? checked.found : [],
      reason: checked && checked.status !== 'ok' ? checked.reason : undefined,
    };
  });
}

const domainPath = (domain: string) => `/ui/domains/${encodeURIComponent(domain)}`;

export function registerDomainPages(router: Router<ConsoleState>, { intake, pages, account, changeForm }: ConsolePageDeps): void {
  router.get('/domains', account, async (ctx) => {
    const domains = await intake.domains.list(accountIdOf(ctx));
    pages.render(ctx, 'domains', {
      title: 'Domains',
      domains: domains.map((record) => {
        const records = recordsOf(intake, record);
        return { domain: record.domain, href: domainPath(record.domain), status: record.status, ok: records.filter((dns) => dns.status === 'ok').length, total: records.length, lastCheckedAt: record.lastCheckedAt };
      }),
    });
  });

  router.post('/domains', account, async (ctx) => {
    const form = await changeForm(ctx);
    const algorithm = fieldOf(form, 'dkim_algorithm') === 'ed25519' ? 'ed25519' : 'rsa';
    await pages.refusalsBackTo(ctx, '/ui/domains', async () => {
      const record = await intake.domains.create(accountIdOf(ctx), fieldOf(form, 'domain'), algorithm);
      pages.redirect(ctx, domainPath(record.domain), { kind: 'ok', text: `${record.domain} was added. Publish the records below at your DNS provider, then choose Verify.` });
    });
  });

  router.get('/domains/:domain', account, async (ctx) => {
    const record = await intake.domains.get(accountIdOf(ctx), ctx.params.domain!);
    pages.render(ctx, 'domain', {
      title: record.domain,
      domain: record,
      href: domainPath(record.domain),
      records: recordsOf(intake, record),
    });
  });

  router.post('/domains/:domain/verify', account, async (ctx) => {
    await changeForm(ctx);
    const record = await intake.domains.verify(accountIdOf(ctx), ctx.params.domain!);
    const problems = recordsOf(intake, record).filter((dns) => dns.status !== 'ok').length;
    const text = record.status === 'verified'
      ? `${record.domain} is verified: mail from it can be sent.${problems ? ` ${problems} optional record(s) still need attention.` : ''}`
      : `${record.domain} is not verified yet: ${problems} record(s) are missing or wrong (see below). DNS changes can take a while to show.`;
    pages.redirect(ctx, domainPath(record.domain), { kind: record.status === 'verified' ? 'ok' : 'error', text });
  });

  router.post('/domains/:domain/rotate-dkim', account, async (ctx) => {
    await changeForm(ctx);
    const record = await intake.domains.rotateDkim(accountIdOf(ctx), ctx.params.domain!);
    pages.redirect(ctx, domainPath(record.domain), {
      kind: 'ok',
      text: `A new DKIM key (selector ${record.dkim.next?.selector ?? ''}) was made. Publish its record below, then choose Verify: mail is signed with it from then on.`,
    });
  });
}
