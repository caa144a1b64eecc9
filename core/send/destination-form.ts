/**
 * What one destination may be sent, from what its EHLO offered. UTF-8 in the
 * envelope or in the header needs SMTPUTF8 (RFC 6531 3.2): where it is offered
 * MAIL FROM says SMTPUTF8; where it is not, a recipient whose own address needs
 * it bounces (5.6.7, as Postfix does) and so does every recipient when the
 * sender or the header needs it. An IDN domain alone needs nothing: it goes as
 * its A-label. 8-bit body bytes need 8BITMIME (RFC 6152): where it is offered
 * MAIL FROM says BODY=8BITMIME; where it is not, the 8-bit parts are re-encoded
 * (seven-bit.ts) and the message is signed again.
 *
 * Why re-sign here rather than send 7 bits to everyone: RFC 6376 5.3 suggests
 * signing a 7-bit form, but that would take away the `8bit` encoding a sender
 * asks for (and a relayed 8-bit body) at every destination, to serve the rare
 * one without 8BITMIME. So the sign stage signs the message as queued, and only
 * the copy for such a destination is re-encoded; every DKIM signature over the
 * 8-bit body is broken by that, so they are removed and the `message:sign`
 * hooks run again on the copy (they run after every content change).
 *
 * Only a message the spool marked 8-bit costs anything here: its header block
 * is read ahead of the transaction to see whether it is UTF-8, and only the
 * copy for a destination without 8BITMIME is read whole.
 */
import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { domainToASCII } from 'node:url';
import { outpostError, type OutpostError } from '../errors.js';
import { PipelineMessage } from '../message.js';
import type { HookRegistry, Verdict } from '../plugins/hooks.js';
import type { RecipientRecord } from '../spool/records.js';
import type { DeliveryGroup } from './delivery-group.js';
import { sevenBitForm } from './seven-bit.js';

/** MAIL FROM and RCPT TO as they go on the wire, with the MAIL FROM parameters. */
export interface TransactionEnvelope {
  from: string;
  /** Each sendable recipient's RCPT TO address, by recipient index. */
  to: Map<number, string>;
  /** Say SMTPUTF8 on MAIL FROM. */
  smtpUtf8: boolean;
  /** Say BODY=8BITMIME on MAIL FROM. */
  eightBitMime: boolean;
}

export type DestinationForm =
  | {
    kind: 'transaction';
    /** Recipients to send to (may be none). */
    recipients: RecipientRecord[];
    /** Recipients this destination cannot be sent to, and why. */
    refused: Map<number, OutpostError>;
    envelope: TransactionEnvelope;
    body: Readable;
  }
  /** A `message:sign` hook refused or failed on the re-encoded copy. */
  | { kind: 'sign-refused'; verdict: Exclude<Verdict, { action: 'continue' }> };

/** Any character beyond ASCII (a non-BMP one shows as its surrogates). */
const NON_ASCII = /[\u0080-\uffff]/;

export async function destinationForm(group: DeliveryGroup, body: Readable, extensions: ReadonlySet<string>, hooks: HookRegistry): Promise<DestinationForm> {
  const { message } = group;
  const offersSmtpUtf8 = extensions.has('SMTPUTF8');
  // only a message with 8-bit bytes can have a UTF-8 header: the header of any other is not read ahead
  const headerBytes = message.eightBit ? await readHeaderAhead(body) : undefined;
  const utf8Header = headerBytes !== undefined && !isAscii(headerBytes.header);
  const utf8Sender = asciiAddress(message.from) === undefined;
  const needsSmtpUtf8 = utf8Header || utf8Sender;
  const stream = headerBytes?.body ?? body;
  const refused = new Map<number, OutpostError>();
  const to = new Map<number, string>();

  if (needsSmtpUtf8 && !offersSmtpUtf8) {
    const why = utf8Header
      ? 'the message has UTF-8 header fields and the destination does not offer SMTPUTF8 (RFC 6531); write them as encoded words (RFC 2047) to reach it'
      : `the sender address ${message.from} is not ASCII and the destination does not offer SMTPUTF8 (RFC 6531); send from an ASCII address to reach it`;
    for (const recipient of group.recipients) refused.set(recipient.index, outpostError('destination_without_smtputf8', why));
  } else {
    for (const recipient of group.recipients) {
      const address = offersSmtpUtf8 ? recipient.address : asciiAddress(recipient.address);
      if (address !== undefined) to.set(recipient.index, address);
      else refused.set(recipient.index, outpostError('destination_without_smtputf8', `the address ${recipient.address} is not ASCII and its destination does not offer SMTPUTF8 (RFC 6531)`));
    }
  }
  const recipients = group.recipients.filter((recipient) => to.has(recipient.index));
  const envelope: TransactionEnvelope = {
    from: offersSmtpUtf8 ? message.from : (asciiAddress(message.from) ?? message.from),
    to,
    smtpUtf8: offersSmtpUtf8 && (needsSmtpUtf8 || [...to.values()].some((address) => NON_ASCII.test(address))),
    eightBitMime: message.eightBit && extensions.has('8BITMIME'),
  };
  if (!message.eightBit || envelope.eightBitMime || recipients.length === 0) return { kind: 'transaction', recipients, refused, envelope, body: stream };

  // 8-bit bytes for a destination without 8BITMIME: in the body they are re-encoded (UTF-8 header fields got past only with SMTPUTF8)
  const whole = Buffer.concat(await stream.toArray());
  if (isAscii(whole.subarray(headerBytes!.header.length))) return { kind: 'transaction', recipients, refused, envelope, body: Readable.from([whole]) };
  const signed = await signedAgain(group, recipients, await sevenBitForm(whole), hooks);
  if (!Buffer.isBuffer(signed)) return { kind: 'sign-refused', verdict: signed };
  return { kind: 'transaction', recipients, refused, envelope, body: Readable.from([signed]) };
}

/**
 * `address` as it may go without SMTPUTF8: as it is when ASCII, with an IDN
 * domain as its A-label; undefined when its local part is not ASCII.
 */
export function asciiAddress(address: string): string | undefined {
  if (!NON_ASCII.test(address)) return address;
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = domainToASCII(address.slice(at + 1));
  return NON_ASCII.test(local) || domain === '' ? undefined : `${local}@${domain}`;
}

/**
 * Reads `body` up to the end of its header block (stored messages have CRLF
 * line ends) and gives a stream of the whole message again, bytes read
 * included. Errors of `body` (a damaged spool record) reach the new stream.
 */
async function readHeaderAhead(body: Readable): Promise<{ header: Buffer; body: Readable }> {
  const source = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const readAhead: Buffer[] = [];
  let header: Buffer | undefined;
  while (header === undefined) {
    const next = await source.next();
    if (!next.done) readAhead.push(next.value);
    const sofar = Buffer.concat(readAhead);
    const end = sofar.indexOf('\r\n\r\n');
    if (end !== -1) header = sofar.subarray(0, end + 2);
    else if (next.done) header = sofar;
  }
  async function* again(): AsyncGenerator<Buffer> {
    yield* readAhead;
    yield* { [Symbol.asyncIterator]: () => source };
  }
  return { header, body: Readable.from(again(), { objectMode: false }) };
}

/**
 * The sign stage again, for the re-encoded copy: the signatures made over the
 * 8-bit body no longer verify, so they go, and the `message:sign` hooks sign
 * the copy. The spool keeps no `source`; the copy is Outpost's own doing, so
 * it is `internal`.
 */
async function signedAgain(group: DeliveryGroup, recipients: RecipientRecord[], raw: Buffer, hooks: HookRegistry): Promise<Buffer | Exclude<Verdict, { action: 'continue' }>> {
  const { message } = group;
  const copy = new PipelineMessage(
    message.id,
    {
      from: message.from,
      to: recipients.map((recipient) => recipient.address),
      raw,
      ...(message.accountId === undefined ? {} : { accountId: message.accountId }),
      options: message.options,
      tags: message.tags,
      source: 'internal',
    },
    message.createdAt,
  );
  copy.headers.remove('dkim-signature');
  const { verdict } = await hooks.run('message:sign', copy);
  return verdict.action === 'continue' ? copy.toBuffer() : verdict;
}
