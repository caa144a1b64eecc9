/**
 * The body of every error answer (api/http/errors.ts writes it): a stable code
 * from the error registry, a message that says what is wrong and how to fix it,
 * and for bad input the fields at fault.
 */
import { z } from 'zod';

export const ErrorJson = z.object({
  code: z.string().meta({ description: 'stable snake_case code of the error registry', examples: ['invalid_request'] }),
  message: z.string().meta({ description: 'what is wrong and how to fix it' }),
  details: z.array(z.object({ field: z.string(), problem: z.string() })).optional().meta({ description: 'bad input: each field at fault and its problem' }),
});

export type ErrorJson = z.infer<typeof ErrorJson>;
