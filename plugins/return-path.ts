/**
 * Built-in queue plugin: the envelope sender of account mail becomes
 * `bounce+<token>@bounce.<From domain>`: the token names the message, is signed
 * and expires (core/bounces/return-path.ts), so a DSN that comes back is tied to
 * its message (the recipient is in the report) and the inbound MX listener
 * refuses anything else; SPF of the return path aligns with the From domain
 * for DMARC.
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
        if (domain) message.returnPath = domain.returnPathFor(message);
      },
      { order: 10 },
    );
  },
});
