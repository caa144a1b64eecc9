/**
 * Built-in tracking plugin: what `open_tracking`, `click_tracking`,
 * `text_click_tracking` and `unsubscribe_tracking` (REST fields, X-Outpost-*
 * headers, domain defaults) mean. It rewrites the message in the scan stage,
 * after every scanner (order 900: scanners see the links as the sender wrote
 * them) and before signing (DKIM covers the rewritten message and the
 * List-Unsubscribe headers). Its endpoints live under `/t` on
 * OUTPOST_PUBLIC_URL: /t/o/<token> (the open image), /t/c/<token> (a click:
 * 302 to the one URL the token was made for), /t/u/<token> (GET: a
 * confirmation page; POST: unsubscribe, one-click per RFC 8058 or from the
 * page). Mail to the List-Unsubscribe mailto: unsubscribes too. Tokens are
 * signed: a changed or made-up one answers 404 with nothing more. Each client
 * address is rate limited, and no answer says which account sent the mail.
 */
import { definePlugin, parse, setting, verdict, type PipelineMessage, type PluginHttpResponse } from 'outpost/plugin';
import { TrackingLinks, type Tracked } from './links.js';
import { acceptedAtOf, looksLikeMachine } from './machine.js';
import { RateLimiter } from './rate-limit.js';
import { trackMessage } from './rewrite-message.js';
import { confirmationPage, unsubscribedPage } from './unsubscribe-page.js';

/** A transparent 1x1 GIF, the smallest image every mail client shows. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const NOT_FOUND = { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }, body: 'Not found\n' };
const TOO_MANY = { status: 429, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '60' }, body: 'Too many requests\n' };

/** The one recipient a message's tracking can name: with several, opens and clicks are the message's, not a person's. */
function soleRecipient(message: PipelineMessage): string | undefined {
  const going = message.recipients.filter((recipient) => recipient.state === 'queued' || recipient.state === 'test');
  return going.length === 1 ? going[0]!.address : undefined;
}

export default definePlugin({
  name: 'tracking',
  httpPrefix: 't',
  settings: {
    machineWindowMs: setting({ env: 'OUTPOST_TRACKING_MACHINE_WINDOW', default: '5s', parse: parse.durationOrZero,
      doc: 'opens and clicks this soon after a message was accepted count as a machine\'s (security scanners fetch at once); 0 = no time rule' }),
    requestsPerMinute: setting({ env: 'OUTPOST_TRACKING_RATE_LIMIT', default: '600', parse: parse.count(1),
      doc: 'requests to the tracking endpoints per client address per minute; beyond, 429' }),
  },
  register(api) {
    const links = new TrackingLinks(api);
    const limiter = new RateLimiter(api.config.requestsPerMinute, 60_000);
    api.registerErrorCode('unsubscribe_needs_one_recipient', { http: 400, smtpCode: 550, smtpStatus: '5.5.3' });
    const rewritten = api.metrics.counter('rewritten_total', 'Messages whose tracking was applied, by what was applied', ['applied']);

    api.addHook(
      'message:scan',
      async (message) => {
        const { openTracking, clickTracking, textClickTracking, unsubscribeTracking } = message.options;
        const author = message.author;
        if (message.accountId === undefined || !author || !(openTracking || clickTracking || textClickTracking || unsubscribeTracking)) return verdict.continue();
        const recipient = soleRecipient(message);
        if (unsubscribeTracking) {
          if (recipient === undefined) {
            return verdict.reject(550, '5.5.3', 'unsubscribe_tracking needs exactly one recipient per message (the link names who unsubscribes); send one message per recipient', 'unsubscribe_needs_one_recipient');
          }
          const domain = await api.domains.requireVerified(message.accountId, author.address);
          message.headers.update('List-Unsubscribe', `<${links.urlFor({ kind: 'unsubscribe', messageId: message.id, recipient })}>, <mailto:${domain.unsubscribeAddressFor(message)}>`);
          message.headers.update('List-Unsubscribe-Post', 'List-Unsubscribe=One-Click');
          rewritten.inc({ applied: 'unsubscribe' });
        }
        if (openTracking || clickTracking || textClickTracking) {
          const click = (url: string) => links.urlFor({ kind: 'click', messageId: message.id, recipient, url });
          const result = await trackMessage(message.toBuffer(), {
            ...(clickTracking ? { trackLink: click } : {}),
            ...(textClickTracking ? { trackTextLink: click } : {}),
            ...(openTracking ? { pixelUrl: links.urlFor({ kind: 'open', messageId: message.id, recipient }) } : {}),
          });
          message.replaceContent(result.raw);
          rewritten.inc({ applied: [openTracking && 'open', (clickTracking || textClickTracking) && 'click'].filter(Boolean).join('+') });
        }
        return verdict.continue();
      },
      { order: 900 },
    );

    /** Records a hit; the answer never depends on whether the recording worked. */
    const record = (tracked: Tracked, kind: 'opened' | 'clicked' | 'unsubscribed', details: Parameters<typeof api.messages.recordEngagement>[3]): void => {
      api.messages.recordEngagement(tracked.messageId, tracked.recipient ?? '', kind, details).then(
        (result) => {
          if (result !== 'recorded') api.logger.info({ messageId: tracked.messageId, kind, result }, 'tracking hit not recorded');
        },
        (error: unknown) => api.logger.error({ err: error, messageId: tracked.messageId, kind }, 'could not record a tracking hit'),
      );
    };
    const machine = (request: { method: string; headers: Readonly<Record<string, string | string[] | undefined>>; ip: string }, messageId: string) =>
      looksLikeMachine(
        { method: request.method, userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : undefined, ip: request.ip, acceptedAt: acceptedAtOf(messageId), at: Date.now() },
        api.config.machineWindowMs,
      );

    api.http.get('/o/:token', (request) => {
      if (!limiter.allow(request.ip)) return TOO_MANY;
      const tracked = links.read('open', request.params.token ?? '');
      if (!tracked) return NOT_FOUND;
      record(tracked, 'opened', { machine: machine(request, tracked.messageId) });
      return { status: 200, headers: { 'content-type': 'image/gif', 'cache-control': 'no-store, max-age=0' }, body: PIXEL };
    });

    api.http.get('/c/:token', (request) => {
      if (!limiter.allow(request.ip)) return TOO_MANY;
      const tracked = links.read('click', request.params.token ?? '');
      if (!tracked || tracked.kind !== 'click') return NOT_FOUND;
      record(tracked, 'clicked', { url: tracked.url, machine: machine(request, tracked.messageId) });
      return { status: 302, headers: { location: tracked.url, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, body: '' };
    });

    api.http.get('/u/:token', (request) => {
      if (!limiter.allow(request.ip)) return TOO_MANY;
      const tracked = links.read('unsubscribe', request.params.token ?? '');
      if (!tracked || tracked.kind !== 'unsubscribe') return NOT_FOUND;
      return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" }, body: confirmationPage(tracked.recipient) };
    });

    api.http.post('/u/:token', (request): PluginHttpResponse => {
      if (!limiter.allow(request.ip)) return TOO_MANY;
      const tracked = links.read('unsubscribe', request.params.token ?? '');
      if (!tracked || tracked.kind !== 'unsubscribe') return NOT_FOUND;
      // RFC 8058: the mailbox provider posts "List-Unsubscribe=One-Click"; our own page posts "confirm=yes"
      const oneClick = new URLSearchParams(request.body.toString('utf8')).get('List-Unsubscribe') === 'One-Click';
      record(tracked, 'unsubscribed', { method: oneClick ? 'one-click' : 'page' });
      return oneClick
        ? { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Unsubscribed\n' }
        : { status: 200, headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'" }, body: unsubscribedPage(tracked.recipient) };
    });

    // mail to List-Unsubscribe's mailto: arrives on the inbound MX for the message it names
    api.addHook('mx:message', async (message) => {
      for (const recipient of message.recipients) {
        if (recipient.purpose !== 'unsubscribe' || !recipient.returnPath) continue;
        const sent = await api.messages.get(recipient.returnPath.messageId);
        if (sent?.recipients.length !== 1) continue;
        record({ kind: 'unsubscribe', messageId: sent.id, recipient: sent.recipients[0]!.address }, 'unsubscribed', { method: 'mail' });
      }
      return verdict.continue();
    });
  },
});
