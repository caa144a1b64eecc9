/**
 * Structured logs (pino): one JSON line per event with the ids needed to
 * follow a message (messageId, domain, mx). Tests pass a silent logger.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'outpost' } });
}
