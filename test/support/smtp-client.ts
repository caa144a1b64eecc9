/**
 * A raw SMTP client for protocol-level tests of the submission listeners:
 * writes exactly the bytes a test gives (pipelined, injected, malformed) and
 * reads replies one at a time, multi-line replies joined, each wait bounded by
 * a deadline. Can upgrade the same socket to TLS after STARTTLS, and connect
 * from another loopback address (127.0.0.x) to test per-address limits.
 */
import net from 'node:net';
import tls from 'node:tls';

export interface SmtpReply {
  code: number;
  /** Text of each line, without the code and separator. */
  lines: string[];
  /** The last line as it came, e.g. "535 5.7.8 authentication failed...". */
  raw: string;
}

export interface RawConnectOptions {
  /** Implicit TLS (port 465). */
  tls?: boolean;
  /** Source address, e.g. 127.0.0.2. */
  localAddress?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;

export class RawSmtpClient {
  private buffered = '';
  private readonly replies: SmtpReply[] = [];
  private waiter: (() => void) | undefined;
  private closedFlag = false;
  /** Every byte received, as latin1 text, for assertions about what the server sent. */
  transcript = '';
  /** What each read of the socket returned (on TLS, one record each), for assertions about how replies were written. */
  readonly chunks: string[] = [];

  private constructor(public socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  static async connect(address: string, options: RawConnectOptions = {}): Promise<RawSmtpClient> {
    const [host, port] = splitAddress(address);
    const socket = options.tls
      ? tls.connect({ host, port, rejectUnauthorized: false, ...(options.localAddress ? { localAddress: options.localAddress } : {}) })
      : net.connect({ host, port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new RawSmtpClient(socket);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Writes bytes as they are (no CRLF added). */
  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Writes one command line and reads its reply. */
  async command(line: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SmtpReply> {
    this.write(`${line}\r\n`);
    return this.reply(timeoutMs);
  }

  /** The next reply; rejects when none comes within `timeoutMs` or the connection closes first. */
  async reply(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SmtpReply> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length === 0) {
      if (this.closedFlag) throw new Error(`connection closed while waiting for a reply; received so far: ${JSON.stringify(this.transcript)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${timeoutMs} ms; received so far: ${JSON.stringify(this.transcript)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.replies.shift()!;
  }

  /** Replies received but not read yet. */
  get pendingReplies(): number {
    return this.replies.length;
  }

  /** Resolves once the server has closed the connection; rejects after `timeoutMs`. */
  async waitForClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closedFlag) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`the server did not close the connection within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** STARTTLS: sends it, expects 220, then upgrades this socket. */
  async startTls(): Promise<void> {
    const reply = await this.command('STARTTLS');
    if (reply.code !== 220) throw new Error(`STARTTLS answered ${reply.raw}`);
    await this.upgradeToTls();
  }

  /** TLS handshake on the current socket (after the server's 220 to STARTTLS). */
  async upgradeToTls(): Promise<void> {
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** EHLO and the capability lines (upper-cased keywords). */
  async ehlo(name = 'client.test'): Promise<string[]> {
    const reply = await this.command(`EHLO ${name}`);
    if (reply.code !== 250) throw new Error(`EHLO answered ${reply.raw}`);
    return reply.lines.slice(1).map((line) => line.toUpperCase());
  }

  /** AUTH PLAIN with an initial response. */
  authPlain(username: string, password: string): Promise<SmtpReply> {
    return this.command(`AUTH PLAIN ${Buffer.from(`\0${username}\0${password}`).toString('base64')}`);
  }

  close(): void {
    this.socket.destroy();
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      this.chunks.push(text);
      this.transcript += text;
      this.buffered += text;
      this.parse();
      this.wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closedFlag = true;
      this.wake();
    });
  }

  /** Lines of a multi-line reply whose last line has not come yet. */
  private currentLines: string[] = [];

  private parse(): void {
    for (;;) {
      const end = this.buffered.indexOf('\r\n');
      if (end === -1) return;
      const line = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 2);
      this.currentLines.push(line.slice(4));
      if (line[3] === '-') continue;
      this.replies.push({ code: Number(line.slice(0, 3)), lines: this.currentLines, raw: line });
      this.currentLines = [];
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

/** '127.0.0.1:2525' → ['127.0.0.1', 2525]. */
export function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), Number(address.slice(at + 1))];
}
