/**
 * The type of the delivery limits and timeouts: SETTINGS.delivery (config/settings.ts)
 * without the destination port, retry schedule, queue time and private-target
 * switch. Kept under its old module path so imports of config/delivery.js still work.
 */
import type { DeliveryConfig } from './index.js';

export type DeliveryLimits = Omit<DeliveryConfig, 'port' | 'retryScheduleMs' | 'maxQueueTimeMs' | 'allowPrivateTargets'>;
