/**
 * The built-in plugins, in registration order. They use the same public API as
 * third-party plugins (core/plugins.ts).
 */
import type { OutpostPlugin } from '../core/plugins.js';
import messageHeaders from './message-headers.js';

export const BUILTIN_PLUGINS: readonly OutpostPlugin[] = [messageHeaders];
