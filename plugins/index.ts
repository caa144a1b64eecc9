/**
 * The built-in plugins, in registration order. Each imports only the public
 * plugin API (`outpost/plugin`), exactly as a third-party plugin does; the core
 * hands them what they need through that API's facades.
 */
import bounces from './bounces/index.js';
import dkimSign from './dkim-sign.js';
import messageHeaders from './message-headers.js';
import returnPath from './return-path.js';
import scanBuiltin from './scan/builtin.js';
import scanClamav from './scan/clamav.js';
import scanRspamd from './scan/rspamd.js';
import scanSpamassassin from './scan/spamassassin.js';
import senderDomain from './sender-domain.js';
import suppression from './suppression.js';
import tracking from './tracking/index.js';
import webhooks from './webhooks.js';

export const BUILTIN_PLUGINS = [messageHeaders, senderDomain, suppression, scanBuiltin, scanClamav, scanRspamd, scanSpamassassin, tracking, dkimSign, returnPath, webhooks, bounces];
