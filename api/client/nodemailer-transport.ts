/**
 * A nodemailer transport that sends through Outpost's REST API, so an app
 * that uses nodemailer switches with one line:
 *   nodemailer.createTransport(outpostTransport({ url, key }))
 * sendMail resolves with the receipt (`id`, `accepted_recipients`,
 * `rejected_recipients`; `messageId` is Outpost's message id) and fails with
 * OutpostApiError. verify() checks the URL and the key.
 */
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import type { Transport } from 'nodemailer/lib/mailer';
import type { NodemailerError } from 'nodemailer/lib/errors';
import type { ClientOptions } from './api-caller.js';
import { Outpost } from './client.js';
import { sendMessageFromNodemailer } from './nodemailer-message.js';
import type { Receipt } from './types.js';

/** What sendMail resolves with. */
export interface OutpostSentMessageInfo extends Receipt {
  /** Outpost's message id (the same as `id`): GET /v1/mail/messages/:id shows what happened to it. */
  messageId: string;
  envelope: { from: string | false; to: string[] };
  /** One line, e.g. "250 queued as <id>", for code that logs nodemailer's response. */
  response: string;
}

export function outpostTransport(options: ClientOptions): Transport<OutpostSentMessageInfo> & { verify(callback?: (error: Error | null, ok?: true) => void): Promise<true> | void } {
  const client = new Outpost(options);
  return {
    name: 'outpost',
    version: '1',
    send(mail: MailMessage<OutpostSentMessageInfo>, callback) {
      sendMessageFromNodemailer(mail)
        .then((message) => client.mail.send(message, mail.data.signal ? { signal: mail.data.signal } : {}))
        .then(
          (receipt) => callback(null, { ...receipt, messageId: receipt.id, envelope: mail.message.getEnvelope(), response: `250 queued as ${receipt.id}` }),
          // OutpostApiError has the code and message nodemailer's errors have (code as a string)
          (error: Error) => callback(error as NodemailerError),
        );
    },
    verify(callback) {
      const checked = client.account.health().then((): true => true);
      if (!callback) return checked;
      checked.then((ok) => callback(null, ok), (error: Error) => callback(error));
    },
  };
}
