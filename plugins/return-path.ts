/**
 * Built-in queue plugin: the envelope sender of account mail becomes
 * `bounce+<message id>@bounce.<From domain>`, so a DSN that comes back names the
 * message (the recipient is in the DSN itself), and SPF of the return path
 * aligns with the From domain for DMARC.
 */
import { definePlugin } from 'outpost/plugin';

export default definePlugin({
  name: 'return-path',
  register(api) {
    api.addHook(
      'message:queue',
      async (message) => {
        const author = message.author;
        if (message.accountId === undefined || !author) return;
        const domain = await api.domains.verified(message.accountId, author.domain);
        if (domain) message.returnPath = `bounce+${message.id}@${domain.returnPathDomain}`;
      },
      { order: 10 },
    );
  },
});
