/**
 * Everything a plugin author imports, in one place (`outpost/plugin`): the
 * plugin definition helper, verdict builders, and the types hooks receive.
 */
export { definePlugin, type OutpostPlugin, type PluginApi } from './plugins.js';
export { verdict, type Verdict, type Hooks, type HookContext, type HookOptions } from './pipeline/hooks.js';
export type { PipelineMessage, PipelineRecipient, DeliveryOptions } from './message.js';
export type { DeliveryGroup } from './delivery/delivery-group.js';
export type { OutpostEvents, AttemptRecord } from './events.js';
