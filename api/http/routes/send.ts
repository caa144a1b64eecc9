/**
 * POST /v1/mail/send: the REST submission endpoint (SPEC "Sending"). Admission
 * first (rate limit, queue guard), then the body in either form, then the
 * message through the pipeline; with an Idempotency-Key, a retry gets the
 * first receipt. The answer is 200 only once the message is durably queued.
 */
import type Router from '@koa/router';
import { accountIdOf, requireAccount } from '../auth.js';
import type { Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';
import { IDEMPOTENCY_KEY_HEADER, IdempotencyKeys, idempotencyKeyOf, requestFingerprint } from '../send/idempotency.js';
import { readSendInput, type SendInput } from '../send/read-request.js';
import { submitSend, type SendReceipt } from '../send/submit-send.js';
import { UploadArea } from '../send/uploads.js';

export function registerSendRoutes(router: Router<ApiState>, intake: Intake): void {
  const idempotencyKeys = new IdempotencyKeys(intake.store, intake.logger);
  const uploads = new UploadArea(intake.uploadDirectory, intake.logger);

  router.post('/v1/mail/send', requireAccount(intake), async (ctx) => {
    const accountId = accountIdOf(ctx);
    // a paused account is told before it uploads anything
    await intake.accounts.requireSending(accountId);
    await intake.countSend(accountId);
    intake.checkQueueRoom();
    const idempotencyKey = idempotencyKeyOf(ctx.get(IDEMPOTENCY_KEY_HEADER));
    const input = await readSendInput(ctx, intake.config.api, uploads);
    try {
      const send = (): Promise<SendReceipt> => submitSend(input, accountId, intake);
      if (idempotencyKey === undefined) {
        ctx.body = await send();
        return;
      }
      const { result, replayed } = await idempotencyKeys.run(accountId, idempotencyKey, fingerprintOf(input), send);
      if (replayed) ctx.set('Idempotent-Replayed', 'true');
      ctx.body = result;
    } finally {
      await input.discard();
    }
  });
}

/** What the request asks for: its fields and each attachment's name, type and content digest. */
function fingerprintOf(input: SendInput): string {
  return requestFingerprint({
    fields: input.fields,
    attachments: input.attachments.map(({ filename, contentType, size, sha256 }) => ({ filename, contentType, size, sha256 })),
  });
}
