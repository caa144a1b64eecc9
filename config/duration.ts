/**
 * Durations and retry schedules as operators write them: `90s`, `5m`, `1h`, `5d`,
 * and schedules like `5m,10m,30m,1h*2,4h` (Haraka's `*N` repeats a step).
 * Pure functions: a bad value throws a config_invalid error naming the variable to fix.
 */
import { outpostError } from '../core/errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds in a duration such as `250ms`, `30s`, `5m`, `2h`, `5d`. */
export function parseDuration(text: string, variable: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(text);
  if (!match) {
    throw outpostError('config_invalid', `${variable}: "${text}" is not a duration; write a number followed by ms, s, m, h or d (e.g. 5m)`);
  }
  return Math.round(Number(match[1]) * UNIT_MS[match[2]!.toLowerCase()]!);
}

/** Delays between attempts; the last one repeats for every later attempt. */
export function parseRetrySchedule(text: string, variable: string): number[] {
  const delays: number[] = [];
  for (const step of text.split(',')) {
    const [duration, times = '1', ...extra] = step.split('*');
    const repeat = Number(times.trim());
    if (extra.length > 0 || !/^\d+$/.test(times.trim()) || repeat < 1 || repeat > 1000) {
      throw outpostError('config_invalid', `${variable}: "${step.trim()}" has a bad repeat count; write e.g. 1h*3`);
    }
    const delay = parseDuration(duration ?? '', variable);
    for (let i = 0; i < repeat; i++) delays.push(delay);
  }
  return delays;
}
