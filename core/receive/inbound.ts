/**
 * Mail that comes back to the inbound MX listener, from RCPT to the 250. A
 * recipient is accepted only when it is a return path Outpost issued (token
 * verified, not expired, its message known) or postmaster@ / abuse@ of
 * OUTPOST_HOSTNAME or of a registered domain's bounce subdomain; anything else
 * is refused, so the listener is never a relay. An accepted message runs the
 * `mx:message` hooks (the bounces plugin records what a report says), then is
 * stored, fsynced, before the 250; a hook that defers or rejects answers the
 * sending server with its reply instead.
 */
import { Headers } from '@zone-eu/mailsplit';
import type { Logger } from 'pino';
import { ReturnPathTokens } from '../bounces/return-path.js';
import { outpostError, pluginRefusal } from '../errors.js';
import type { InboundMessage, InboundRecipient } from '../inbound-message.js';
import type { HookRegistry } from '../plugins/hooks.js';
import type { InboundEnvelope } from '../spool/inbound.js';
import { newMessageId } from '../spool/records.js';

/** Local parts Outpost answers for on its own domains (RFC 2142). */
const ROLE_ADDRESSES = new Set(['postmaster', 'abuse']);

/** What a front end hands over once DATA is read. */
export interface InboundArrival {
  from: string;
  recipients: InboundRecipient[];
  raw: Buffer;
  remoteAddress: string;
  helo: string;
}

export interface InboundReceiverDeps {
  hooks: HookRegistry;
  tokens: ReturnPathTokens;
  hostname: string;
  /** True when Outpost has a status for this message (its return path may take reports). */
  knowsMessage(messageId: string): Promise<boolean>;
  /** True when `domain` is a registered sending domain (so bounce.<domain> is Outpost's). */
  isRegisteredDomain(domain: string): Promise<boolean>;
  /** Writes the message and its envelope, fsynced (here, or in the primary). */
  store(envelope: InboundEnvelope, raw: Buffer): Promise<void>;
  logger: Logger;
  now: () => number;
}

export class InboundReceiver {
  constructor(private readonly deps: InboundReceiverDeps) {}

  /** The recipient as the hooks will see it; throws relay_refused or return_path_unknown. */
  async checkRecipient(address: string): Promise<InboundRecipient> {
    const at = address.lastIndexOf('@');
    const local = address.slice(0, at).toLowerCase();
    const domain = address.slice(at + 1).toLowerCase();
    const issued = ReturnPathTokens.parse(address);
    if (issued !== undefined && domain.startsWith('bounce.')) {
      const check = this.deps.tokens.verify(issued.token);
      if ('problem' in check) throw outpostError('return_path_unknown', `<${address}>: no such return path (${check.problem === 'expired' ? 'it has expired' : 'it is not one Outpost issued'})`);
      if (!(await this.deps.knowsMessage(check.messageId))) throw outpostError('return_path_unknown', `<${address}>: no such return path (its message is unknown here)`);
      return { address, returnPath: { messageId: check.messageId }, purpose: issued.purpose };
    }
    if (at > 0 && ROLE_ADDRESSES.has(local) && (await this.isOwnDomain(domain))) return { address };
    throw outpostError('relay_refused', `<${address}>: this server takes mail only for the return paths of messages Outpost sent, and postmaster@ and abuse@ of its own domains; it relays nothing`);
  }

  /** Runs the mx:message hooks and stores the message; resolves with its id for the 250 reply. */
  async receive(arrival: InboundArrival): Promise<string> {
    const receivedAt = this.deps.now();
    const id = newMessageId(receivedAt);
    const message: InboundMessage = { id, ...arrival, headers: new Headers(headerBlockOf(arrival.raw)), receivedAt };
    const { verdict, plugin } = await this.deps.hooks.run('mx:message', message);
    if (verdict.action !== 'continue') {
      this.deps.logger.info({ id, from: arrival.from, plugin, reply: `${verdict.code} ${verdict.status} ${verdict.text}` }, 'mx: message refused by a plugin');
      throw pluginRefusal({ code: verdict.code, status: verdict.status, text: verdict.text }, plugin ?? 'mx:message', verdict.errorCode);
    }
    const envelope: InboundEnvelope = { id, from: arrival.from, recipients: arrival.recipients.map((recipient) => recipient.address), remoteAddress: arrival.remoteAddress, helo: arrival.helo, receivedAt, size: arrival.raw.length };
    await this.deps.store(envelope, arrival.raw);
    this.deps.logger.info({ id, from: arrival.from, recipients: envelope.recipients, bytes: arrival.raw.length, ip: arrival.remoteAddress }, 'mx: message received');
    return id;
  }

  private async isOwnDomain(domain: string): Promise<boolean> {
    if (domain === this.deps.hostname.toLowerCase()) return true;
    return domain.startsWith('bounce.') && (await this.deps.isRegisteredDomain(domain.slice('bounce.'.length)));
  }
}

/** The header block of a message (up to its first empty line; all of it when there is none). */
function headerBlockOf(raw: Buffer): Buffer {
  const end = raw.indexOf('\r\n\r\n');
  if (end !== -1) return raw.subarray(0, end + 4);
  const bare = raw.indexOf('\n\n');
  return bare === -1 ? raw : raw.subarray(0, bare + 2);
}
