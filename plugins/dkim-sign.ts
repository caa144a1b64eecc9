/**
 * Built-in sign plugin: DKIM-signs every message from an account's verified
 * domain with that domain's active key (mailauth, relaxed/relaxed). It runs in
 * the sign stage, after every content change, on CRLF-clean bytes. A signer
 * that produces no signature is a temporary failure, never an unsigned send.
 */
import { dkimSign } from 'mailauth';
import addressparser from 'nodemailer/lib/addressparser';
import type { DomainService } from '../core/domains/domains.js';
import { definePlugin, verdict } from '../core/plugin-api.js';

/** What receivers expect signed (RFC 6376 5.4.1), plus the list headers tracking adds. */
const SIGNED_HEADERS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type',
  'Content-Transfer-Encoding', 'In-Reply-To', 'References', 'List-Unsubscribe', 'List-Unsubscribe-Post',
];

export function createDkimSignPlugin(domains: DomainService) {
  return definePlugin({
    name: 'dkim-sign',
    register(api) {
      api.addHook(
        'message:sign',
        async (message) => {
          if (message.accountId === undefined) return verdict.continue();
          const [author] = addressparser(message.headers.getFirst('from'), { flatten: true });
          const domain = author?.address?.split('@').pop()?.toLowerCase();
          const record = domain ? await domains.verifiedDomain(message.accountId, domain) : undefined;
          if (!record) return verdict.continue();
          const key = domains.signingKeyFor(record);
          const result = await dkimSign(message.toBuffer(), {
            signingDomain: key.domain,
            selector: key.selector,
            privateKey: key.privateKeyPem,
            canonicalization: 'relaxed/relaxed',
            // mailauth only signs with keys inside signatureData (the top-level fields above are ignored)
            signatureData: [{
              signingDomain: key.domain,
              selector: key.selector,
              privateKey: key.privateKeyPem,
              algorithm: key.algorithm === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256',
              canonicalization: 'relaxed/relaxed',
            }],
            headerList: SIGNED_HEADERS,
          });
          const signature = result.signatures.trim();
          if (!signature.startsWith('DKIM-Signature:')) {
            return verdict.defer(451, '4.3.0', `DKIM signing for ${key.domain} produced no signature; the message was not sent unsigned`);
          }
          message.headers.addFormatted('dkim-signature', signature, 0);
          return verdict.continue();
        },
        { order: 50 },
      );
    },
  });
}
