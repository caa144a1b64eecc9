/**
 * Built-in suppression plugin. At validation, a recipient on the sending
 * account's suppression list is taken out of delivery with status `suppressed`
 * (counted among the rejected recipients, never sent; the message fails only
 * when no recipient is left). Added to the list: a recipient whose bounce the
 * classifier calls hard (the address does not exist, the domain takes no mail,
 * the account is suspended: `userunknown`, `hostunknown`, `notaccept`,
 * `suspend`), at delivery or in a report that came back later, and a recipient
 * who complained or unsubscribed. Blocks, policy and content refusals, full mailboxes and
 * expired queue time are not: the address may take mail again.
 */
import { definePlugin, verdict, type SuppressionReason } from 'outpost/plugin';

export default definePlugin({
  name: 'suppression',
  register(api) {
    api.addHook(
      'message:validate',
      async (message) => {
        const accountId = message.accountId;
        if (accountId === undefined) return verdict.continue();
        const queued = message.recipients.filter((recipient) => recipient.state === 'queued');
        const found = await Promise.all(queued.map((recipient) => api.suppressions.find(accountId, recipient.address)));
        for (const [index, suppression] of found.entries()) {
          if (!suppression) continue;
          const { address } = queued[index]!;
          message.setRecipientState(
            address,
            'suppressed',
            `on this account's suppression list since ${new Date(suppression.createdAt).toISOString()} (${suppression.reason}); remove it with DELETE /v1/suppressions/${encodeURIComponent(suppression.address)}`,
          );
        }
        return verdict.continue();
      },
      { order: 30 },
    );

    const suppress = (accountId: string, recipient: string, reason: SuppressionReason, detail: string): void => {
      api.suppressions.add(accountId, recipient, reason, detail).then(
        ({ created }) => {
          if (created) api.logger.info({ accountId, recipient, reason }, 'address suppressed');
        },
        (error: unknown) => api.logger.error({ err: error, accountId, recipient, reason }, 'could not add an address to the suppression list'),
      );
    };
    api.on('recipient:bounced', ({ accountId, recipient, bounceType, reason, description }) => {
      if (accountId !== undefined && bounceType === 'hard') suppress(accountId, recipient, 'hard_bounce', `${reason}: ${description}`);
    });
    api.on('recipient:complained', ({ accountId, recipient, feedbackType }) => {
      if (accountId !== undefined) suppress(accountId, recipient, 'complaint', `complaint (${feedbackType})`);
    });
    api.on('recipient:unsubscribed', ({ accountId, recipient, method }) => {
      if (accountId !== undefined) suppress(accountId, recipient, 'unsubscribe', `unsubscribed (${method})`);
    });
  },
});
