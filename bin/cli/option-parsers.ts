/**
 * Parsers for option values (commander calls them with each value given): a
 * repeatable option collected into a list, durations as the server's settings
 * write them (500ms, 2s, 10m), whole numbers in a range. A bad value fails
 * with commander's usage error naming the option.
 */
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../../config/duration.js';

/** For an option that may be given more than once: `--to a@x --to b@y`. */
export function repeatable(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Milliseconds of `500ms`, `2s`, `10m`, `1h`. */
export function duration(value: string): number {
  try {
    return parseDuration(value, 'the value');
  } catch {
    throw new InvalidArgumentError('write a number followed by ms, s, m or h, e.g. 2s or 10m');
  }
}

/** A whole number from `min` to `max`. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < min || parsed > max) throw new InvalidArgumentError(`give a whole number from ${min} to ${max}`);
    return parsed;
  };
}
