/**
 * The delivery attempt: one try for one group (a message's recipients on one
 * domain). Runs the `delivery:before` hooks, finds the route, takes a pooled
 * session or opens one, sends, and turns what happened into one outcome per
 * recipient. It never writes the spool: the scheduler records the outcomes.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import { connectToMx, type ConnectSettings, type MxConnection, type TlsRequirement } from './connect.js';
import type { ConnectionPool } from './connection-pool.js';
import { failureOutcome, sameOutcomeForAll, type DeliveryGroup, type RecipientOutcome } from './delivery-group.js';
import { destinationForm } from './destination-form.js';
import type { MxResolver } from './mx-resolver.js';
import { sendTransaction } from './smtp-transaction.js';
import { isOutpostError, outpostError, type OutpostError } from '../errors.js';
import type { AttemptRecord } from '../events.js';
import type { Spool } from '../spool/spool.js';
import type { HookRegistry } from '../plugins/hooks.js';

export interface DeliveryDeps {
  hooks: HookRegistry;
  resolver: MxResolver;
  spool: Spool;
  pool: ConnectionPool;
  /** Session settings; requireTls/verifyCert are the defaults a message may override. */
  settings: ConnectSettings;
  now: () => number;
  logger: Logger;
}

/** The same classified failure for every recipient of the attempt, with what is known of it. */
type FailAll = (response: string, extra?: Partial<AttemptRecord>) => Map<number, RecipientOutcome>;

/**
 * Every recipient's outcome when no server's reply decided it: the registry entry of `error`
 * gives the enhanced status, which the classifier reads like a server's (5.x.x bounces, 4.x.x retries).
 */
function failingWith(failAll: FailAll, error: OutpostError, extra: Partial<AttemptRecord> = {}): Map<number, RecipientOutcome> {
  const { status, text } = error.smtpReply();
  return failAll(`${status} ${text}`, { status, ...extra });
}

/** The outcome of a recipient that `connection`'s destination cannot be sent to, for the reason `error` gives. */
function refusalOutcome(error: OutpostError, connection: MxConnection, started: number, now: number): RecipientOutcome {
  const { status, text } = error.smtpReply();
  return failureOutcome({ at: started, mx: connection.mx, ip: connection.ip, port: connection.port, response: `${status} ${text}`, status, durationMs: now - started });
}

/** One attempt's result: an outcome per recipient, or a body that cannot be read back intact. */
export type AttemptResult =
  | { kind: 'outcomes'; outcomes: Map<number, RecipientOutcome> }
  | { kind: 'damaged-body'; reason: string };

export class Delivery {
  /** Sessions in use, cut at the end of a shutdown's grace period. */
  private readonly active = new Set<MxConnection>();
  /** Aborted by closeAll(): connections still being opened are given up. */
  private readonly shutdown = new AbortController();

  constructor(private readonly deps: DeliveryDeps) {
    // every connection being opened listens for shutdown; there may be maxConnections of them
    setMaxListeners(0, this.shutdown.signal);
  }

  /** One attempt for `group`: an outcome per recipient, or the news that its body cannot be read back intact. */
  async attempt(group: DeliveryGroup): Promise<AttemptResult> {
    let damaged: OutpostError | undefined;
    const outcomes = await this.tryDelivery(group, (error) => (damaged = error));
    return damaged ? { kind: 'damaged-body', reason: damaged.message } : { kind: 'outcomes', outcomes };
  }

  private async tryDelivery(group: DeliveryGroup, onDamagedBody: (error: OutpostError) => void): Promise<Map<number, RecipientOutcome>> {
    const started = this.deps.now();
    const failAll: FailAll = (response, extra = {}) =>
      sameOutcomeForAll(group, failureOutcome({ at: started, response, durationMs: this.deps.now() - started, ...extra }));

    const hook = await this.deps.hooks.run('delivery:before', group);
    if (hook.verdict.action !== 'continue') {
      const { code, status, text } = hook.verdict;
      return failAll(`${code} ${status} ${text}`, { code, status });
    }

    const requirement = {
      requireTls: group.message.options.requireTls ?? this.deps.settings.requireTls,
      verifyCert: group.message.options.verifyCert ?? this.deps.settings.verifyCert,
    };
    // a pooled session, or a new one once the domain has fewer than maxConnectionsPerDomain (closing ones count)
    const acquired = await this.deps.pool.acquire(group.domain, requirement, () => this.open(group, requirement, failAll), this.shutdown.signal);
    if ('failure' in acquired) return acquired.failure;
    if ('cancelled' in acquired || this.shutdown.signal.aborted) {
      if ('connection' in acquired) this.deps.pool.close(acquired.connection);
      return failingWith(failAll, outpostError('delivery_cancelled'));
    }
    const { connection } = acquired;

    this.active.add(connection);
    try {
      const stored = this.deps.spool.openBody(group.message);
      // the digest check fails the stream before its last chunk, so the destination never gets a complete message
      stored.once('error', (error) => isOutpostError(error, 'storage_failed') && onDamagedBody(error));
      // what this destination's EHLO allows: SMTPUTF8, BODY=8BITMIME, or a re-encoded and re-signed copy
      const form = await destinationForm(group, stored, connection.extensions, this.deps.hooks);
      if (form.kind === 'sign-refused') {
        stored.destroy();
        this.deps.pool.release(group.domain, connection, true);
        const { code, status, text } = form.verdict;
        return failAll(`${code} ${status} ${text}`, { code, status });
      }
      const outcomes = new Map<number, RecipientOutcome>();
      for (const [index, error] of form.refused) outcomes.set(index, refusalOutcome(error, connection, started, this.deps.now()));
      if (form.recipients.length === 0) {
        form.body.destroy();
        stored.destroy();
        this.deps.pool.release(group.domain, connection, true);
        return outcomes;
      }
      const result = await sendTransaction(connection, { ...group, recipients: form.recipients }, form.envelope, form.body, this.deps.now);
      this.deps.pool.release(group.domain, connection, result.connectionUsable);
      for (const [index, outcome] of result.outcomes) outcomes.set(index, outcome);
      return outcomes;
    } catch (error) {
      // RSET failed or the stream broke: nothing was delivered on this session
      this.deps.pool.close(connection);
      const broken = outpostError('destination_unreachable', `delivery to ${connection.mx} [${connection.ip}] failed: ${(error as Error).message}`);
      return failingWith(failAll, broken, { mx: connection.mx, ip: connection.ip, port: connection.port });
    } finally {
      this.active.delete(connection);
    }
  }

  /** Finds the route and opens a session; when none opens, the outcome of every recipient says why. */
  private async open(group: DeliveryGroup, requirement: TlsRequirement, failAll: FailAll): Promise<{ connection: MxConnection } | { failure: Map<number, RecipientOutcome> }> {
    const route = await this.deps.resolver.routeFor(group.domain);
    if (route.kind !== 'hosts') return { failure: failingWith(failAll, route.error) };
    const opened = await connectToMx(route.hosts, { ...this.deps.settings, ...requirement, signal: this.shutdown.signal }, this.deps.logger);
    if ('connection' in opened) return opened;
    const { failure } = opened;
    return {
      failure: failAll(failure.response, {
        ...(failure.mx ? { mx: failure.mx } : {}),
        ...(failure.ip ? { ip: failure.ip } : {}),
        port: failure.port,
        ...(failure.code ? { code: failure.code } : {}),
      }),
    };
  }

  /** Cuts every session: idle ones politely, busy ones at once (shutdown past its grace period). */
  closeAll(): void {
    this.shutdown.abort();
    this.deps.pool.closeAll();
    for (const connection of this.active) connection.smtp.close();
  }
}
