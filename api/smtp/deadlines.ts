/**
 * Per-connection deadlines against slow clients, on top of smtp-server's idle
 * timeout (which any byte resets, so a client trickling one byte a minute
 * would never meet it):
 *   - command: a complete command line within commandTimeoutMs of the previous
 *     line or of Outpost's last answer; paused while Outpost itself is working
 *     (an AUTH delay, a domain lookup, queueing) and while DATA is coming in;
 *   - transaction: from the accepted MAIL FROM to the last byte of DATA;
 *   - AUTH: from the greeting to a successful AUTH, so a connection that
 *     never authenticates cannot hold its place for the idle timeout again
 *     and again; an AUTH Outpost is still checking (or delaying after
 *     failures) when it runs out is let finish, and its outcome decides.
 * When one runs out, `expire` is called once (the caller answers 421 4.4.2 and
 * closes). Timers are unref'd: they never keep the process alive.
 */
import { outpostError, OutpostError } from '../../core/errors.js';

export interface DeadlineLimits {
  commandTimeoutMs: number;
  transactionTimeoutMs: number;
  authTimeoutMs: number;
}

export class SessionDeadlines {
  private commandTimer: NodeJS.Timeout | undefined;
  private transactionTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  /** The AUTH deadline passed while Outpost was busy: it applies once the work is done, unless AUTH succeeded. */
  private authOverdue = false;
  private busy = 0;
  private receivingData = false;
  private expired = false;

  constructor(
    private readonly limits: DeadlineLimits,
    private readonly expire: (error: OutpostError) => void,
  ) {}

  /** A complete line arrived, or Outpost answered: the client's time for its next line starts now. */
  awaitCommand(): void {
    clearTimeout(this.commandTimer);
    if (this.expired) return;
    this.commandTimer = setTimeout(() => this.onCommandTimeout(), this.limits.commandTimeoutMs).unref();
  }

  /** Runs Outpost-side work; its duration is not counted against the client. */
  async whileBusy<T>(work: () => Promise<T>): Promise<T> {
    this.busy += 1;
    try {
      return await work();
    } finally {
      this.busy -= 1;
      // once the answer to the command that was being worked on is written (the caller writes it after this)
      if (this.authOverdue && this.busy === 0) setImmediate(() => this.authOverdue && this.fire(this.authTimeout()));
      else this.awaitCommand();
    }
  }

  /** The session has started: the client has authTimeoutMs to authenticate. */
  awaitAuth(): void {
    clearTimeout(this.authTimer);
    if (this.expired) return;
    this.authTimer = setTimeout(() => {
      if (this.busy > 0) this.authOverdue = true;
      else this.fire(this.authTimeout());
    }, this.limits.authTimeoutMs).unref();
  }

  /** AUTH succeeded (call it inside the whileBusy work that checked it): the AUTH deadline is over. */
  authenticated(): void {
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
    this.authOverdue = false;
  }

  startTransaction(): void {
    clearTimeout(this.transactionTimer);
    if (this.expired) return;
    this.transactionTimer = setTimeout(() => {
      const seconds = Math.round(this.limits.transactionTimeoutMs / 1000);
      this.fire(outpostError('session_timeout', `the mail transaction took longer than ${seconds} s (MAIL FROM to the end of DATA); closing the connection`));
    }, this.limits.transactionTimeoutMs).unref();
  }

  /** The transaction is over (message fully received, RSET, new EHLO, or refused). */
  endTransaction(): void {
    clearTimeout(this.transactionTimer);
    this.transactionTimer = undefined;
  }

  startData(): void {
    this.receivingData = true;
  }

  endData(): void {
    this.receivingData = false;
    this.awaitCommand();
  }

  /** The connection is gone: no timer may fire any more. */
  stop(): void {
    this.expired = true;
    clearTimeout(this.commandTimer);
    clearTimeout(this.transactionTimer);
    clearTimeout(this.authTimer);
  }

  private onCommandTimeout(): void {
    if (this.busy > 0 || this.receivingData) {
      this.awaitCommand();
      return;
    }
    const seconds = Math.round(this.limits.commandTimeoutMs / 1000);
    this.fire(outpostError('session_timeout', `no complete command within ${seconds} s; closing the connection`));
  }

  private authTimeout(): OutpostError {
    const seconds = Math.round(this.limits.authTimeoutMs / 1000);
    return outpostError('session_timeout', `no successful AUTH within ${seconds} s of the greeting; closing the connection`);
  }

  private fire(error: OutpostError): void {
    if (this.expired) return;
    this.stop();
    this.expire(error);
  }
}
