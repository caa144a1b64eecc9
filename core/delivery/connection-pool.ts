/**
 * Idle SMTP sessions kept per destination domain for reuse, so a burst of mail
 * to one domain costs one TCP + TLS handshake instead of one per message. A
 * session is reused only if it meets the next message's TLS requirement, and
 * is closed after an idle timeout or a number of transactions.
 */
import type { MxConnection, TlsRequirement } from './connect.js';

interface IdleEntry {
  connection: MxConnection;
  timer: NodeJS.Timeout;
}

export class ConnectionPool {
  private readonly idle = new Map<string, IdleEntry[]>();

  constructor(private readonly settings: { idleConnectionMs: number; maxMessagesPerConnection: number }) {}

  /** An idle session to `domain` meeting `requirement`, removed from the pool. */
  take(domain: string, requirement: TlsRequirement): MxConnection | undefined {
    const entries = this.idle.get(domain);
    if (!entries) return undefined;
    const index = entries.findIndex(({ connection }) =>
      (!requirement.requireTls || connection.tls !== null) && (!requirement.verifyCert || connection.certificateVerified));
    if (index === -1) return undefined;
    const [entry] = entries.splice(index, 1);
    if (entries.length === 0) this.idle.delete(domain);
    clearTimeout(entry!.timer);
    return entry!.connection;
  }

  /** Returns a session after a transaction; closes it if it is worn out or broken. */
  release(domain: string, connection: MxConnection, usable: boolean): void {
    if (!usable || connection.smtp.destroyed || connection.transactions >= this.settings.maxMessagesPerConnection) {
      closeQuietly(connection);
      return;
    }
    const entries = this.idle.get(domain) ?? [];
    const entry: IdleEntry = {
      connection,
      timer: setTimeout(() => {
        const list = this.idle.get(domain);
        const position = list?.indexOf(entry) ?? -1;
        if (list && position !== -1) list.splice(position, 1);
        if (list?.length === 0) this.idle.delete(domain);
        closeQuietly(connection);
      }, this.settings.idleConnectionMs),
    };
    entry.timer.unref();
    entries.push(entry);
    this.idle.set(domain, entries);
  }

  /** Number of idle sessions, for metrics and tests. */
  get size(): number {
    let count = 0;
    for (const entries of this.idle.values()) count += entries.length;
    return count;
  }

  closeAll(): void {
    for (const entries of this.idle.values()) {
      for (const { connection, timer } of entries) {
        clearTimeout(timer);
        closeQuietly(connection);
      }
    }
    this.idle.clear();
  }
}

/** QUIT politely; a session that is already gone needs nothing. */
export function closeQuietly(connection: MxConnection): void {
  if (connection.smtp.destroyed) return;
  try {
    connection.smtp.quit();
  } catch {
    connection.smtp.close();
  }
}
