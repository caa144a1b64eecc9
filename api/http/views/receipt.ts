/**
 * The answer to POST /v1/mail/send once the message is durably queued
 * (api/http/send/submit-send.ts builds it).
 */
import { z } from 'zod';

export const ReceiptJson = z.object({
  id: z.string().meta({ description: 'the message id, for GET /v1/mail/messages/{id}' }),
  accepted_recipients: z.number().int().meta({ description: 'recipients queued (or test)' }),
  rejected_recipients: z.number().int().meta({ description: 'recipients refused (invalid or suppressed): counted, never sent' }),
});

export type ReceiptJson = z.infer<typeof ReceiptJson>;
