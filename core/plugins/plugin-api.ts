/**
 * Everything a plugin author imports, in one place (`outpost/plugin`): the
 * plugin definition helper, verdict builders, and the types hooks receive.
 */
export { definePlugin, type OutpostPlugin, type PluginApi } from './registry.js';
export { verdict, type Verdict, type Hooks, type HookContext, type HookOptions } from './hooks.js';
export type { PipelineMessage, PipelineRecipient, DeliveryOptions } from '../message.js';
export type { DeliveryGroup } from '../send/delivery-group.js';
export type { OutpostEvents, AttemptRecord } from '../events.js';
