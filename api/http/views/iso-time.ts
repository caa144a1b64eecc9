/**
 * A point in time as every API view shows it: ISO 8601 in UTC, with milliseconds.
 */
import { z } from 'zod';

export const IsoTime = z.string().meta({ description: 'ISO 8601, UTC', examples: ['2026-01-31T12:00:00.000Z'] });
