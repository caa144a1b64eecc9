/**
 * Built-in queue plugin: the envelope sender of account mail becomes
 * `bounce+<message id>@bounce.<From domain>`, so a DSN that comes back names the
 * message (the recipient is in the DSN itself), and SPF of the return path
 * aligns with the From domain for DMARC.
 */
import addressparser from 'nodemailer/lib/addressparser';
import { returnPathDomain } from '../core/domains/dns-records.js';
import { definePlugin } from '../core/plugins/plugin-api.js';

export const returnPathPlugin = definePlugin({
  name: 'return-path',
  register(api) {
    api.addHook(
      'message:queue',
      (message) => {
        if (message.accountId === undefined) return;
        const [author] = addressparser(message.headers.getFirst('from'), { flatten: true });
        const domain = author?.address?.split('@').pop()?.toLowerCase();
        if (domain) message.returnPath = `bounce+${message.id}@${returnPathDomain(domain)}`;
      },
      { order: 10 },
    );
  },
});
