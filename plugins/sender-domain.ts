/**
 * Built-in validate plugin: an account may send only while its sending is not
 * paused, and only from its own verified domains. The envelope sender, every From address and (if present) Sender
 * must all be on one; the From domain's defaults then fill the send options the message left
 * unset. Messages submitted from code without an account (DSNs) are not checked.
 * Which addresses From and Sender hold is settled before any plugin runs: the validate
 * stage lets through only one From and at most one Sender whose mailboxes every parser
 * reads alike (core's one address rule, the one REST's `from` is checked by), so the
 * addresses read here are the ones a receiver and its DMARC check will find.
 */
import { definePlugin, verdict, type DeliveryOptions, type DomainDefaults } from 'outpost/plugin';

/** A send's own option wins; the domain default fills what it left unset. */
function withDefaults(options: DeliveryOptions, defaults: DomainDefaults): DeliveryOptions {
  return {
    ...options,
    ...(options.requireTls === undefined && defaults.require_tls !== undefined ? { requireTls: defaults.require_tls } : {}),
    ...(options.verifyCert === undefined && defaults.verify_cert !== undefined ? { verifyCert: defaults.verify_cert } : {}),
    ...(options.testMode === undefined && defaults.test_mode !== undefined ? { testMode: defaults.test_mode } : {}),
  };
}

export default definePlugin({
  name: 'sender-domain',
  register(api) {
    api.addHook(
      'message:validate',
      async (message) => {
        const accountId = message.accountId;
        if (accountId === undefined) return verdict.continue();
        // a paused account (bounce or complaint rate over its threshold) sends nothing, whichever front end took the message
        await api.accounts.requireSending(accountId);
        const author = message.author;
        if (!author) return verdict.reject(550, '5.6.0', 'the From header has no address; give one on a verified domain');
        // each throws domain_not_verified (550 5.7.1, REST 422) for an address off the account's verified domains
        const others = [message.from, ...message.headerAddresses('from').slice(1), ...message.headerAddresses('sender')].filter(Boolean);
        for (const address of others) await api.domains.requireVerified(accountId, address);
        const fromDomain = await api.domains.requireVerified(accountId, author.address);
        message.options = withDefaults(message.options, fromDomain.defaults);
        return verdict.continue();
      },
      { order: 20 },
    );
  },
});
