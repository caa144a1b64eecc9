/**
 * Built-in sign plugin: DKIM-signs every message from an account's verified
 * domain with that domain's active key (relaxed/relaxed, see
 * core/domains/dkim-signer.ts). It runs in the sign stage, after every content
 * change, on CRLF-clean bytes. A signing error throws, which the pipeline
 * turns into a temporary failure: never an unsigned send.
 */
import addressparser from 'nodemailer/lib/addressparser';
import { dkimSignature } from '../core/domains/dkim-signer.js';
import type { DomainService } from '../core/domains/domains.js';
import { definePlugin, verdict } from '../core/plugins/plugin-api.js';

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
          const signature = await dkimSignature(message.headers.build(), message.body, domains.signingKeyFor(record), SIGNED_HEADERS);
          message.headers.addFormatted('dkim-signature', signature, 0);
          return verdict.continue();
        },
        { order: 50 },
      );
    },
  });
}
