/**
 * The built-in plugins, in registration order. Each imports only the public
 * plugin API (`outpost/plugin`), exactly as a third-party plugin does; the core
 * hands them what they need through that API's facades.
 */
import bounces from './bounces/index.js';
import dkimSign from './dkim-sign.js';
import messageHeaders from './message-headers.js';
import returnPath from './return-path.js';
import senderDomain from './sender-domain.js';
import suppression from './suppression.js';
import webhooks from './webhooks.js';

export const BUILTIN_PLUGINS = [messageHeaders, senderDomain, suppression, dkimSign, returnPath, webhooks, bounces];
