/**
 * The built-in plugins, in registration order. They use the same public API as
 * third-party plugins (core/plugins.ts); those that need a core service get it
 * through their factory.
 */
import type { DomainService } from '../core/domains/domains.js';
import type { OutpostPlugin } from '../core/plugins.js';
import { createDkimSignPlugin } from './dkim-sign.js';
import messageHeaders from './message-headers.js';
import { returnPathPlugin } from './return-path.js';
import { createSenderDomainPlugin } from './sender-domain.js';

export function builtinPlugins(services: { domains: DomainService }): OutpostPlugin[] {
  return [messageHeaders, createSenderDomainPlugin(services.domains), createDkimSignPlugin(services.domains), returnPathPlugin];
}
