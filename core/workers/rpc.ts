/**
 * Calls between the primary and its workers over the process IPC channel
 * (node:cluster, 'advanced' serialization, so Buffers cross as they are):
 * a request names a method and carries its arguments; the answer is the
 * result or an error. An OutpostError crosses with its code, message and
 * extras, so a refusal made in the primary reaches the client from the worker
 * exactly as it would in one process. One-way notices (no answer) share the
 * channel. A call waits at most `timeoutMs`; when the other side goes away,
 * every pending call fails at once, never hangs.
 */
import { OutpostError, outpostError, type ErrorExtras } from '../errors.js';

/** How long an IPC call may wait: longer than any hook, spool write or DNS look-up it may cover. */
export const RPC_TIMEOUT_MS = 60_000;

/** What the channel needs of a process or a cluster worker. */
export interface IpcPort {
  send(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'disconnect', listener: () => void): unknown;
}

type Handler = (...args: never[]) => unknown;

interface Request {
  rpc: 'request';
  id: number;
  method: string;
  args: unknown[];
}

interface Answer {
  rpc: 'answer';
  id: number;
  result?: unknown;
  error?: { code: string; message: string; extras: ErrorExtras } | { message: string };
}

interface Notice {
  rpc: 'notice';
  topic: string;
  payload: unknown;
}

/** Everything one side sent in one turn of its event loop, as one IPC message. */
interface Bundle {
  rpc: 'bundle';
  messages: (Request | Answer | Notice)[];
}

function isRpcMessage(message: unknown): message is Request | Answer | Notice | Bundle {
  const kind = (message as { rpc?: unknown } | null)?.rpc;
  return kind === 'request' || kind === 'answer' || kind === 'notice' || kind === 'bundle';
}

export class RpcChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private readonly handlers = new Map<string, Handler>();
  private readonly noticeListeners = new Map<string, ((payload: never) => void)[]>();
  private closed = false;
  /** Messages of this turn, sent together once its I/O callbacks have run (setImmediate). */
  private outbox: (Request | Answer | Notice)[] = [];

  constructor(
    private readonly port: IpcPort,
    private readonly timeoutMs: number,
  ) {
    port.on('message', (message) => {
      if (!isRpcMessage(message)) return;
      if (message.rpc === 'bundle') for (const inner of message.messages) this.receive(inner);
      else this.receive(message);
    });
    port.on('disconnect', () => this.close('the other process went away'));
  }

  /** Serves `method` for the other side; `fn` may be async. */
  handle<Args extends unknown[], Result>(method: string, fn: (...args: Args) => Result | Promise<Result>): void {
    this.handlers.set(method, fn as unknown as Handler);
  }

  /** Listens to one-way notices of `topic`. */
  onNotice<Payload>(topic: string, listener: (payload: Payload) => void): void {
    const listeners = this.noticeListeners.get(topic) ?? [];
    listeners.push(listener as (payload: never) => void);
    this.noticeListeners.set(topic, listeners);
  }

  /** Calls `method` on the other side; rejects with the error it threw there, or when the channel closes or the time is up. */
  call<Result>(method: string, ...args: unknown[]): Promise<Result> {
    if (this.closed) return Promise.reject(outpostError('shutting_down'));
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(outpostError('storage_failed', `no answer from the other Outpost process to ${method} within ${this.timeoutMs} ms; try again`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      if (!this.trySend({ rpc: 'request', id, method, args } satisfies Request)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(outpostError('shutting_down'));
      }
    });
  }

  /** Sends a one-way notice; false when the channel is gone. */
  notify(topic: string, payload: unknown): boolean {
    return !this.closed && this.trySend({ rpc: 'notice', topic, payload } satisfies Notice);
  }

  /** Fails every pending call; later calls fail at once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, call] of this.pending) {
      clearTimeout(call.timer);
      call.reject(outpostError('shutting_down', `Outpost is restarting a process (${reason}); retry in a moment`));
      this.pending.delete(id);
    }
  }

  /**
   * Queues `message` for this turn's bundle. Under load many sessions commit in
   * the same turn; one IPC write (and one wake-up of the other process) for all of
   * them costs a fraction of one per message, as Postfix's qmgr reads its
   * notifications in batches.
   */
  private trySend(message: Request | Answer | Notice): boolean {
    if (this.closed) return false;
    if (this.outbox.push(message) === 1) setImmediate(() => this.flush());
    return true;
  }

  private flush(): void {
    const messages = this.outbox;
    this.outbox = [];
    try {
      this.port.send(messages.length === 1 ? messages[0] : ({ rpc: 'bundle', messages } satisfies Bundle));
    } catch {
      // the channel closed meanwhile (ERR_IPC_CHANNEL_CLOSED): the pending calls fail when 'disconnect' arrives
    }
  }

  private receive(message: Request | Answer | Notice): void {
    if (message.rpc === 'notice') {
      for (const listener of this.noticeListeners.get(message.topic) ?? []) listener(message.payload as never);
      return;
    }
    if (message.rpc === 'answer') {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      clearTimeout(call.timer);
      if (message.error) call.reject(revive(message.error));
      else call.resolve(message.result);
      return;
    }
    void this.answer(message);
  }

  private async answer(request: Request): Promise<void> {
    const handler = this.handlers.get(request.method);
    let answer: Answer;
    try {
      if (!handler) throw new Error(`no RPC method ${request.method}`);
      answer = { rpc: 'answer', id: request.id, result: await (handler as (...args: unknown[]) => unknown)(...request.args) };
    } catch (error) {
      answer = { rpc: 'answer', id: request.id, error: flatten(error) };
    }
    this.trySend(answer);
  }
}

function flatten(error: unknown): NonNullable<Answer['error']> {
  if (error instanceof OutpostError) {
    return {
      code: error.code,
      message: error.message,
      extras: {
        ...(error.details === undefined ? {} : { details: error.details }),
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
        ...(error.reply === undefined ? {} : { reply: error.reply }),
      },
    };
  }
  return { message: (error as Error)?.message ?? String(error) };
}

function revive(error: NonNullable<Answer['error']>): Error {
  return 'code' in error ? new OutpostError(error.code, error.message, error.extras) : new Error(error.message);
}
