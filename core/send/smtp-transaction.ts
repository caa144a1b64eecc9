/**
 * One SMTP transaction (MAIL FROM, RCPT TO for each recipient, DATA) over an
 * open session, and the outcome of each recipient with the details of the
 * attempt. A reply is required for everything: a connection that drops after
 * the final "." without a reply leaves every recipient to try again.
 */
import type { Readable } from 'node:stream';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { AttemptRecord } from '../events.js';
import type { MxConnection } from './connect.js';
import type { TransactionEnvelope } from './destination-form.js';
import { failureOutcome, type DeliveryGroup, type RecipientOutcome } from './delivery-group.js';
import { isSuccess, parseSmtpReply } from './smtp-reply.js';

interface SmtpError extends Error {
  response?: string;
  responseCode?: number;
  command?: string;
  rejectedErrors?: SmtpError[];
  recipient?: string;
}

export interface TransactionResult {
  outcomes: Map<number, RecipientOutcome>;
  /** The session can carry another transaction. */
  connectionUsable: boolean;
}

/** Sends `body` to the recipients of `group` with the addresses and MAIL FROM parameters of `envelope`. */
export async function sendTransaction(
  connection: MxConnection,
  group: DeliveryGroup,
  envelope: TransactionEnvelope,
  body: Readable,
  now: () => number,
): Promise<TransactionResult> {
  const started = now();
  if (connection.needsReset) await resetSession(connection);
  connection.transactions++;
  const attemptFrom = (reply: string, code?: number): AttemptRecord => {
    const parsed = parseSmtpReply(reply);
    return {
      at: started,
      mx: connection.mx,
      ip: connection.ip,
      port: connection.port,
      tls: connection.tls,
      ...(code ?? parsed?.code ? { code: code ?? parsed!.code } : {}),
      ...(parsed?.status ? { status: parsed.status } : {}),
      response: reply.trim(),
      durationMs: now() - started,
    };
  };
  const outcomeOf = (reply: string, code?: number): RecipientOutcome => {
    const attempt = attemptFrom(reply, code);
    return attempt.code !== undefined && isSuccess(attempt.code) ? { kind: 'delivered', attempt } : failureOutcome(attempt);
  };

  const addressOf = (recipient: DeliveryGroup['recipients'][number]): string => envelope.to.get(recipient.index) ?? recipient.address;
  const addresses = group.recipients.map(addressOf);
  const indexOf = new Map(group.recipients.map((recipient) => [addressOf(recipient).toLowerCase(), recipient.index]));
  const outcomes = new Map<number, RecipientOutcome>();
  const recordRejected = (errors: SmtpError[] | undefined): void => {
    for (const rejection of errors ?? []) {
      const index = rejection.recipient ? indexOf.get(rejection.recipient.toLowerCase()) : undefined;
      if (index !== undefined) outcomes.set(index, outcomeOf(rejection.response ?? rejection.message, rejection.responseCode));
    }
  };

  try {
    const info = await new Promise<{ accepted: string[]; rejectedErrors?: SmtpError[]; response: string }>((resolve, reject) => {
      const send = (): void =>
        connection.smtp.send(
          { from: envelope.from, to: addresses, size: group.message.size, use8BitMime: envelope.eightBitMime },
          body,
          (error, result) => (error ? reject(error) : resolve(result!)),
        );
      if (envelope.smtpUtf8) sayingSmtpUtf8(connection.smtp, send);
      else send();
    });
    recordRejected(info.rejectedErrors);
    for (const address of info.accepted) {
      const index = indexOf.get(address.toLowerCase());
      if (index !== undefined) outcomes.set(index, outcomeOf(info.response));
    }
    return { outcomes: fillMissing(group, outcomes, () => outcomeOf('no reply for this recipient')), connectionUsable: true };
  } catch (caught) {
    const error = caught as SmtpError;
    body.destroy();
    recordRejected(error.rejectedErrors);
    // a reply to MAIL FROM or DATA applies to every recipient still open; no reply at all is a temporary failure
    const replied = error.response ? outcomeOf(error.response, error.responseCode) : undefined;
    // a failed send is never a delivery, even if the last reply seen was a 2xx (e.g. to RCPT before a drop)
    const sharedOutcome: RecipientOutcome = replied && replied.kind !== 'delivered'
      ? replied
      : noReplyOutcome(attemptFrom(`${error.message}${error.command ? ` (during ${error.command})` : ''}`));
    const connectionUsable = Boolean(error.responseCode) && error.responseCode !== 421 && !connection.smtp.destroyed;
    if (connectionUsable) connection.needsReset = true;
    return { outcomes: fillMissing(group, outcomes, () => sharedOutcome), connectionUsable };
  }
}

/**
 * Runs `send` with SMTPUTF8 on its MAIL FROM. nodemailer adds the keyword only
 * for a non-ASCII envelope address and has no option for UTF-8 header fields,
 * which RFC 6531 3.4 also sends with it. send() writes MAIL FROM synchronously,
 * through its internal _sendCommand, so for that call the line gets the
 * keyword (the SMTPUTF8 delivery test fails if nodemailer changes this).
 */
function sayingSmtpUtf8(smtp: SMTPConnection, send: () => void): void {
  const commands = smtp as unknown as { _sendCommand: (command: string, logged?: string) => void };
  const writeCommand = commands._sendCommand;
  commands._sendCommand = function (this: unknown, command: string, logged?: string) {
    const mailFrom = /^MAIL FROM:/i.test(command) && !/\sSMTPUTF8\b/i.test(command);
    writeCommand.call(this, mailFrom ? `${command} SMTPUTF8` : command, logged);
  };
  try {
    send();
  } finally {
    commands._sendCommand = writeCommand;
  }
}

/** A transaction cut without a reply (a drop, a timeout) is always tried again: nothing was refused. */
function noReplyOutcome(attempt: AttemptRecord): RecipientOutcome {
  const outcome = failureOutcome(attempt);
  return outcome.kind === 'delivered' ? outcome : { ...outcome, kind: 'temporary' };
}

function fillMissing(group: DeliveryGroup, outcomes: Map<number, RecipientOutcome>, fallback: () => RecipientOutcome): Map<number, RecipientOutcome> {
  for (const recipient of group.recipients) if (!outcomes.has(recipient.index)) outcomes.set(recipient.index, fallback());
  return outcomes;
}

function resetSession(connection: MxConnection): Promise<void> {
  return new Promise((resolve, reject) => {
    connection.smtp.reset((error) => {
      if (error) reject(error);
      else {
        connection.needsReset = false;
        resolve();
      }
    });
  });
}
