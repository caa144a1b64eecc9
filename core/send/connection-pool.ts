/**
 * Every SMTP session to a destination domain, from the moment it starts
 * connecting until its socket is closed. No domain ever has more than
 * maxConnectionsPerDomain of them, and all domains together no more than
 * maxConnections, counting those being opened, busy, idle and closing (QUIT
 * sent, waiting for the reply or for the socket to close): an attempt that
 * finds no idle session to reuse waits for a free slot, and closes an idle
 * session it cannot use (another domain's, or one that does not meet its TLS
 * requirement) to make one.
 *
 * Idle sessions are kept for reuse, so a burst of mail to one domain costs one
 * TCP + TLS handshake instead of one per message. A session is reused only if
 * it meets the next message's TLS requirement (one that does not is closed to
 * make room when the domain is full), and is closed after an idle timeout or a
 * number of transactions. Closing is bounded by closeTimeoutMs, after which the
 * socket is cut: a destination that never answers QUIT cannot hold a slot for good.
 */
import type { MxConnection, TlsRequirement } from './connect.js';

export interface ConnectionPoolSettings {
  idleConnectionMs: number;
  maxMessagesPerConnection: number;
  maxConnections: number;
  maxConnectionsPerDomain: number;
  closeTimeoutMs: number;
}

/** What acquire() came back with: a session ready for MAIL FROM, what `open` reported instead, or shutdown. */
export type Acquired<F> = { connection: MxConnection } | { failure: F } | { cancelled: true };

interface IdleEntry {
  connection: MxConnection;
  timer: NodeJS.Timeout;
  idleSince: number;
}

/** One destination domain's sessions. */
interface DomainSessions {
  /** Sessions counted against the limit: being opened, busy, idle or closing. */
  counted: number;
  /** Of those, the ones closing. */
  closing: number;
  idle: IdleEntry[];
  /** Attempts waiting for a slot or an idle session; each is woken by any change and looks again. */
  waiters: Set<() => void>;
}

export class ConnectionPool {
  private readonly domains = new Map<string, DomainSessions>();
  /** Sessions counted across all domains. */
  private total = 0;
  /** The domain each counted session belongs to. */
  private readonly domainOf = new WeakMap<MxConnection, string>();
  /** Sessions already closing, so a second close() arms no second timer. */
  private readonly closing = new WeakSet<MxConnection>();

  constructor(private readonly settings: ConnectionPoolSettings) {}

  /**
   * A session to `domain` meeting `requirement`: an idle one, or a new one from
   * `open` as soon as the domain has a free slot. `open` must leave no socket
   * behind when it reports a failure: the slot is free again when it returns.
   * Waiting ends with `cancelled` when `signal` aborts (shutdown).
   */
  async acquire<F>(
    domain: string,
    requirement: TlsRequirement,
    open: () => Promise<{ connection: MxConnection } | { failure: F }>,
    signal?: AbortSignal,
  ): Promise<Acquired<F>> {
    for (;;) {
      if (signal?.aborted) return { cancelled: true };
      const reusable = this.take(domain, requirement);
      if (reusable) return { connection: reusable };
      const sessions = this.sessionsOf(domain);
      const domainFull = sessions.counted >= this.settings.maxConnectionsPerDomain;
      if (!domainFull && this.total < this.settings.maxConnections) break;
      // full: an idle session this attempt cannot use makes room by closing; the domain's own
      // (they do not meet this message's requirement), or, when only the total is full, the
      // session idle longest anywhere
      // (only when no session is already closing that frees such a slot, or every waiter would close one)
      const unfit = domainFull
        ? (sessions.closing === 0 ? sessions.idle.shift() : undefined)
        : (this.anyClosing() ? undefined : (sessions.idle.shift() ?? this.longestIdle()));
      if (unfit) {
        clearTimeout(unfit.timer);
        this.close(unfit.connection);
      }
      await this.nextChange(sessions, signal);
    }
    this.sessionsOf(domain).counted++;
    this.total++;
    let opened: { connection: MxConnection } | { failure: F };
    try {
      opened = await open();
    } catch (error) {
      this.uncount(domain);
      throw error;
    }
    if ('failure' in opened) this.uncount(domain);
    else this.countUntilClosed(domain, opened.connection);
    return opened;
  }

  /** Returns a session after a transaction; closes it if it is worn out or broken. */
  release(domain: string, connection: MxConnection, usable: boolean): void {
    if (!usable || connection.smtp.destroyed || connection.socket.destroyed || connection.transactions >= this.settings.maxMessagesPerConnection) {
      this.close(connection);
      return;
    }
    const sessions = this.sessionsOf(domain);
    const entry: IdleEntry = {
      connection,
      idleSince: performance.now(),
      timer: setTimeout(() => {
        if (this.removeIdle(domain, connection)) this.close(connection);
      }, this.settings.idleConnectionMs),
    };
    entry.timer.unref();
    sessions.idle.push(entry);
    this.wakeAllWaiters();
  }

  /**
   * Says QUIT, and cuts the socket if it is not closed within closeTimeoutMs.
   * The session keeps its slot until then.
   */
  close(connection: MxConnection): void {
    const { smtp, socket } = connection;
    if (socket.destroyed || this.closing.has(connection)) return;
    this.closing.add(connection);
    const sessions = this.domains.get(this.domainOf.get(connection) ?? '');
    if (sessions) sessions.closing++;
    const timer = setTimeout(() => socket.destroy(), this.settings.closeTimeoutMs);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      if (sessions) sessions.closing--;
    });
    if (smtp.destroyed) return; // SMTPConnection already ended its side; only the socket is left
    try {
      smtp.quit();
    } catch {
      smtp.close();
    }
  }

  /** Closes every idle session (shutdown). Busy ones are their attempts' to close. */
  closeAll(): void {
    for (const sessions of this.domains.values()) {
      for (const { connection, timer } of sessions.idle.splice(0)) {
        clearTimeout(timer);
        this.close(connection);
      }
    }
  }

  /** An idle session to `domain` meeting `requirement`, removed from the idle list. */
  private take(domain: string, requirement: TlsRequirement): MxConnection | undefined {
    const idle = this.domains.get(domain)?.idle;
    const index = idle?.findIndex(({ connection }) =>
      !connection.smtp.destroyed
      && (!requirement.requireTls || connection.tls !== null)
      && (!requirement.verifyCert || connection.certificateVerified)) ?? -1;
    if (index === -1) return undefined;
    const [entry] = idle!.splice(index, 1);
    clearTimeout(entry!.timer);
    return entry!.connection;
  }

  /** The slot of a new session is freed when its socket closes, however that happens. */
  private countUntilClosed(domain: string, connection: MxConnection): void {
    this.domainOf.set(connection, domain);
    const closed = (): void => {
      this.removeIdle(domain, connection);
      this.uncount(domain);
    };
    if (connection.socket.closed) closed();
    else connection.socket.once('close', closed);
  }

  private removeIdle(domain: string, connection: MxConnection): boolean {
    const idle = this.domains.get(domain)?.idle;
    const index = idle?.findIndex((entry) => entry.connection === connection) ?? -1;
    if (index === -1) return false;
    clearTimeout(idle![index]!.timer);
    idle!.splice(index, 1);
    return true;
  }

  private uncount(domain: string): void {
    const sessions = this.sessionsOf(domain);
    sessions.counted--;
    this.total--;
    // a slot freed here may be what an attempt to another domain waits for (the total limit)
    this.wakeAllWaiters();
    if (sessions.counted === 0 && sessions.idle.length === 0 && sessions.waiters.size === 0) this.domains.delete(domain);
  }

  private anyClosing(): boolean {
    for (const sessions of this.domains.values()) if (sessions.closing > 0) return true;
    return false;
  }

  /** The idle session that has waited longest, any domain, removed from its idle list. */
  private longestIdle(): IdleEntry | undefined {
    let oldest: { sessions: DomainSessions; entry: IdleEntry } | undefined;
    for (const sessions of this.domains.values()) {
      const first = sessions.idle[0];
      if (first && (!oldest || first.idleSince < oldest.entry.idleSince)) oldest = { sessions, entry: first };
    }
    return oldest?.sessions.idle.shift();
  }

  private sessionsOf(domain: string): DomainSessions {
    let sessions = this.domains.get(domain);
    if (!sessions) {
      sessions = { counted: 0, closing: 0, idle: [], waiters: new Set() };
      this.domains.set(domain, sessions);
    }
    return sessions;
  }

  /** Resolves at the next slot freed or session returned on this domain, or when `signal` aborts. */
  private nextChange(sessions: DomainSessions, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        sessions.waiters.delete(wake);
        signal?.removeEventListener('abort', wake);
        resolve();
      };
      sessions.waiters.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
    });
  }

  private wakeAllWaiters(): void {
    for (const sessions of [...this.domains.values()]) for (const wake of [...sessions.waiters]) wake();
  }
}
