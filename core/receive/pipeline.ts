/**
 * The receiving pipeline: validate → scan → sign → queue. Every front end
 * (REST, SMTP submission, code) calls submit(); it resolves with a receipt
 * only once the message is durably queued, and rejects with an OutpostError
 * whose code and reply the front end passes on. (Deliver runs later, from the
 * spool, on the sending side.)
 */
import type { Logger } from 'pino';
import { outpostError, isOutpostError } from '../errors.js';
import type { EventBus } from '../events.js';
import { PipelineMessage, type NewMessage } from '../message.js';
import { newMessageId } from '../spool/records.js';
import type { HookRegistry } from '../plugins/hooks.js';
import { queueStage, type MessageCommitter, type Receipt } from './queue.js';
import { scanStage } from './scan.js';
import { signStage } from './sign.js';
import { validateStage } from './validate.js';

export interface PipelineDeps {
  hooks: HookRegistry;
  /** Writes a finished message to the spool: here, or in the primary that owns it. */
  committer: MessageCommitter;
  events: EventBus;
  maxMessageBytes: number;
  now: () => number;
  logger: Logger;
}

export class Pipeline {
  private accepting = true;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: PipelineDeps) {}

  /** Refuses new submissions (shutdown); resolves when those already inside have finished. */
  async drain(): Promise<void> {
    this.accepting = false;
    await Promise.allSettled([...this.inFlight]);
  }

  submit(newMessage: NewMessage): Promise<Receipt> {
    if (!this.accepting) return Promise.reject(outpostError('shutting_down'));
    const work = this.process(newMessage);
    this.inFlight.add(work);
    void work.catch(() => undefined).finally(() => this.inFlight.delete(work));
    return work;
  }

  private async process(newMessage: NewMessage): Promise<Receipt> {
    const now = this.deps.now();
    const message = new PipelineMessage(newMessageId(now), newMessage, now);
    try {
      await validateStage(message, this.deps.hooks, { maxMessageBytes: this.deps.maxMessageBytes });
      await scanStage(message, this.deps.hooks);
      await signStage(message, this.deps.hooks);
      const receipt = await queueStage(message, this.deps.hooks, this.deps.committer);
      this.deps.logger.info({ messageId: message.id, from: message.from, accepted: receipt.accepted, rejected: receipt.rejected }, 'message queued');
      return receipt;
    } catch (error) {
      if (isOutpostError(error)) {
        const reply = error.smtpReply();
        this.deps.events.emit('message:rejected', { messageId: message.id, from: message.from, ...reply, at: this.deps.now() });
        this.deps.logger.info({ messageId: message.id, code: error.code, reason: error.message }, 'message refused');
      }
      throw error;
    }
  }
}
