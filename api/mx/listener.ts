/**
 * The inbound MX listener (OUTPOST_MX_PORT, 25 by default): where bounces and
 * complaints come back. It is a front end like REST and SMTP submission, beside
 * them: smtp-server with STARTTLS offered and no AUTH, taking RCPT only for what
 * the Intake accepts (return paths Outpost issued and has not let expire,
 * postmaster@ and abuse@ of its own host and bounce domains), so it is never a
 * relay. A message is answered 250 only once the `mx:message` hooks have run
 * (the bounces plugin records what the report says) and the message is stored,
 * fsynced, in the spool. Size, connections per address, recipients and idle
 * time are bounded, as on the submission listener; connections per address are
 * counted from accept, before smtp-server sees the socket: smtp-server counts
 * every socket against maxClients for its first 100 ms, before onConnect, so a
 * burst from one address counted only there would shut the port for everyone.
 */
import type { Server, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { OutpostConfig } from '../../config/index.js';
import { isOutpostError, outpostError } from '../../core/errors.js';
import type { FrontEnd, InboundRecipient, Intake } from '../../core/intake.js';
import { listen } from '../../core/listen.js';
import { loadTlsCertificate, TLS_SETTINGS } from '../../core/tls-certificate.js';

type ReplyError = Error & { responseCode: number };

/** How long a client refused at accept has to read its 421 before the socket is destroyed. */
const REFUSAL_LINGER_MS = 2000;

/** An smtp-server reply from an error: the registry's reply for an OutpostError, 451 4.3.0 for anything else (logged). */
function reply(error: unknown, logger: Logger, session: string): ReplyError {
  if (isOutpostError(error)) {
    const { code, status, text } = error.smtpReply();
    return Object.assign(new Error(`${status} ${text.replace(/[\r\n]+/g, ' ')}`), { responseCode: code });
  }
  logger.error({ session, err: error }, 'mx: unexpected error');
  return Object.assign(new Error('4.3.0 local error in processing; try again later'), { responseCode: 451 });
}

/** Reads DATA up to the size limit; resolves undefined when the message was larger (the rest is drained). */
function readData(stream: Readable & { sizeExceeded?: boolean }): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => {
      if (!stream.sizeExceeded) chunks.push(chunk);
    });
    stream.once('error', reject);
    stream.once('end', () => resolve(stream.sizeExceeded ? undefined : Buffer.concat(chunks)));
  });
}

export class MxListener implements FrontEnd {
  private intake: Intake | undefined;
  private readonly perAddress = new Map<string, number>();
  /** The recipients each session's RCPTs were accepted for, with what the Intake made of them. */
  private readonly accepted = new Map<string, InboundRecipient[]>();

  private constructor(
    private readonly server: SMTPServer | undefined,
    private readonly config: OutpostConfig,
    private readonly logger: Logger,
  ) {}

  /** Binds OUTPOST_SMTP_HOST:OUTPOST_MX_PORT (nothing when off); mail is taken only once serve() has run. */
  static async bind(config: OutpostConfig, logger: Logger): Promise<MxListener> {
    if (config.mx.port === 'off') return new MxListener(undefined, config, logger);
    const certificate = await loadTlsCertificate(config, logger);
    // the handlers reach the listener built just below; none runs before listen()
    const self = (): MxListener => listener;
    const options: SMTPServerOptions = {
      name: config.hostname,
      banner: 'Outpost MX (bounces and complaints only)',
      logger: false,
      secure: false,
      key: certificate.key,
      cert: certificate.cert,
      ...TLS_SETTINGS,
      size: config.mx.maxMessageBytes,
      authOptional: true,
      disabledCommands: ['AUTH'],
      // the replies below carry the registry's enhanced status codes themselves
      hideENHANCEDSTATUSCODES: true,
      hideDSN: true,
      hideREQUIRETLS: true,
      disableReverseLookup: true,
      maxClients: config.mx.maxConnections,
      maxRecipients: config.mx.maxRecipients,
      socketTimeout: config.mx.idleTimeoutMs,
      closeTimeout: config.shutdownGraceMs,
      onConnect: (session, callback) => self().admit(session, callback),
      onMailFrom: (_address, _session, callback) => callback(),
      onRcptTo: (address, session, callback) => self().checkRecipient(address.address, session, callback),
      onData: (stream, session, callback) => self().receive(stream, session, callback),
      onClose: (session) => self().release(session),
    };
    const server = new SMTPServer(options);
    // smtp-server's handler of accepted sockets runs only for those admitSocket takes
    const accept = server.server.listeners('connection') as ((socket: Socket) => void)[];
    server.server.removeAllListeners('connection');
    server.server.on('connection', (socket: Socket) => {
      if (self().admitSocket(socket)) for (const handler of accept) handler.call(server.server, socket);
    });
    server.server.on('connection', (socket: Socket) => socket.setNoDelay(true));
    server.on('error', (error: Error & { code?: string }) => logger.debug({ err: error.message, code: error.code }, 'mx: connection error'));
    const listener = new MxListener(server, config, logger);
    await listen(server.server, config.smtpHost, config.mx.port, 'OUTPOST_MX_PORT');
    return listener;
  }

  get listeners(): Record<string, Server | undefined> {
    return { mx: this.server?.server };
  }

  serve(intake: Intake): void {
    this.intake = intake;
  }

  close(graceMs: number): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    server.options.closeTimeout = Math.max(graceMs, 1);
    return new Promise((resolve) => server.close(() => resolve()));
  }

  /** close() ends every session at the end of its grace period. */
  cut(): void {}

  async reloadCertificate(): Promise<void> {
    if (!this.server) return;
    const certificate = await loadTlsCertificate(this.config, this.logger);
    this.server.updateSecureContext({ key: certificate.key, cert: certificate.cert, ...TLS_SETTINGS });
  }

  /** At accept: counts the socket against its address's limit until it closes (true), or refuses it with 421 (false). */
  private admitSocket(socket: Socket): boolean {
    const ip = socket.remoteAddress?.replace(/^::ffff:(?=\d)/i, '').toLowerCase();
    // a client that reset the connection before it was accepted has no address any more
    if (ip === undefined) {
      socket.destroy();
      return false;
    }
    const open = this.perAddress.get(ip) ?? 0;
    if (open >= this.config.mx.maxConnectionsPerIp) {
      this.logger.debug({ ip, limit: this.config.mx.maxConnectionsPerIp }, 'mx: connection refused, too many from one address');
      const { code, status, text } = outpostError('too_many_connections', `too many connections from ${ip}; at most ${this.config.mx.maxConnectionsPerIp} at once`).smtpReply();
      socket.on('error', () => undefined);
      socket.end(`${code} ${status} ${text}\r\n`);
      // read and drop whatever the client sends, so its close is seen
      socket.resume();
      setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
      return false;
    }
    this.perAddress.set(ip, open + 1);
    socket.once('close', () => {
      const left = (this.perAddress.get(ip) ?? 1) - 1;
      if (left > 0) this.perAddress.set(ip, left);
      else this.perAddress.delete(ip);
    });
    return true;
  }

  private admit(session: SMTPServerSession, callback: (error?: Error) => void): void {
    if (!this.intake) return callback(reply(outpostError('shutting_down', 'Outpost is starting; try again in a moment'), this.logger, session.id));
    callback();
  }

  private release(session: SMTPServerSession): void {
    this.accepted.delete(session.id);
  }

  private checkRecipient(address: string, session: SMTPServerSession, callback: (error?: Error) => void): void {
    const intake = this.intake;
    if (!intake) return callback(reply(outpostError('shutting_down'), this.logger, session.id));
    intake.checkInboundRecipient(address).then(
      (recipient) => {
        this.accepted.set(session.id, [...(this.accepted.get(session.id) ?? []), recipient]);
        callback();
      },
      (error: unknown) => {
        this.logger.info({ session: session.id, ip: session.remoteAddress, rcpt: address.slice(0, 254), reason: (error as Error).message }, 'mx: recipient refused');
        callback(reply(error, this.logger, session.id));
      },
    );
  }

  private receive(stream: Readable, session: SMTPServerSession, callback: (error?: Error | null, message?: string) => void): void {
    const intake = this.intake;
    const recipients = this.accepted.get(session.id) ?? [];
    this.accepted.delete(session.id);
    readData(stream)
      .then(async (raw) => {
        if (!raw) throw outpostError('message_too_large', `the report is larger than ${this.config.mx.maxMessageBytes} bytes (OUTPOST_MX_MAX_MESSAGE_BYTES)`);
        if (!intake) throw outpostError('shutting_down');
        return intake.receiveInbound({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          recipients,
          raw,
          remoteAddress: session.remoteAddress,
          helo: session.hostNameAppearsAs ?? '',
        });
      })
      .then(
        (id) => callback(null, `2.6.0 Ok: received as ${id}`),
        (error: unknown) => callback(reply(error, this.logger, session.id)),
      );
  }
}
