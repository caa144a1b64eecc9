/**
 * Built-in sign plugin: DKIM-signs every message from an account's verified
 * domain with that domain's active key (relaxed/relaxed). It runs in the sign
 * stage, after every content change, on CRLF-clean bytes. A signing error
 * throws, which the pipeline turns into a temporary failure: never an
 * unsigned send.
 */
import { definePlugin, verdict } from 'outpost/plugin';

/** What receivers expect signed (RFC 6376 5.4.1), plus the list headers tracking adds. */
const SIGNED_HEADERS = [
  'From', 'Sender', 'Reply-To', 'Subject', 'Date', 'Message-ID', 'To', 'Cc', 'MIME-Version', 'Content-Type',
  'Content-Transfer-Encoding', 'In-Reply-To', 'References', 'List-Unsubscribe', 'List-Unsubscribe-Post',
];

/**
 * Over-signed when present (RFC 6376 8.15): what a reader sees and acts on. A
 * second From or Subject added on the way, above ours, is what many mail
 * clients show; with one more entry in h= than there are instances, such an
 * addition fails the signature instead of riding on it.
 */
const OVERSIGNED_HEADERS = ['From', 'Subject', 'To', 'Cc', 'Date', 'Message-ID', 'Reply-To', 'List-Unsubscribe', 'List-Unsubscribe-Post'];

export default definePlugin({
  name: 'dkim-sign',
  register(api) {
    api.addHook(
      'message:sign',
      async (message) => {
        const author = message.author;
        if (message.accountId === undefined || !author) return verdict.continue();
        const domain = await api.domains.verified(message.accountId, author.domain);
        if (!domain) return verdict.continue();
        const signature = await domain.signDkim(message.headers.build(), message.body, SIGNED_HEADERS, { oversign: OVERSIGNED_HEADERS });
        message.headers.addFormatted('dkim-signature', signature, 0);
        return verdict.continue();
      },
      { order: 50 },
    );
  },
});
