/**
 * Sending statistics: GET /v1/stats (account key).
 */
import { StatsQueryParams } from '../routes/stats.js';
import { StatsJson } from '../views/stats.js';
import { json, type ResourceDoc } from './operation.js';

export const STATS: ResourceDoc = {
  tag: { name: 'stats', description: 'Counts of what happened to the account\'s mail, per hour or day' },
  operations: [
    {
      method: 'get',
      path: '/v1/stats',
      operationId: 'getStats',
      summary: 'Counts per hour or day (UTC): accepted, delivered, deferred, bounced, complained, opened, clicked, unsubscribed, suppressed',
      auth: 'account',
      query: StatsQueryParams,
      responses: {
        200: json('the counts', StatsJson),
        400: 'a query parameter is wrong, unknown or repeated, or the range is too long (invalid_request; details names each)',
      },
    },
  ],
};
