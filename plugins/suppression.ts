/**
 * Built-in suppression plugin. At validation, a recipient on the sending
 * account's suppression list is taken out of delivery with status `suppressed`
 * (counted among the rejected recipients, never sent; the message fails only
 * when no recipient is left). After delivery, a recipient that bounced on a
 * permanent (5xx) reply is added to the list, so the next send skips it; a
 * bounce after the queue time ran out (4xx or no answer) is not, as the
 * address may work again.
 */
import { definePlugin, verdict } from 'outpost/plugin';

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

    api.on('recipient:bounced', ({ accountId, recipient, attempt }) => {
      if (accountId === undefined || attempt?.code === undefined || attempt.code < 500) return;
      api.suppressions.add(accountId, recipient, 'hard_bounce', attempt.response).then(
        ({ created }) => {
          if (created) api.logger.info({ accountId, recipient }, 'suppressed after a hard bounce');
        },
        (error: unknown) => api.logger.error({ err: error, accountId, recipient }, 'could not add a hard-bounced address to the suppression list'),
      );
    });
  },
});
