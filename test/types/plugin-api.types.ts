/**
 * Type tests of the public plugin API (`outpost/plugin`), checked by
 * `npm run typecheck` (tsc), never run: each `@ts-expect-error` line must fail
 * to compile, so a hook map that let a wrong hook name, subject or verdict
 * through would fail the type-check ("unused @ts-expect-error directive").
 */
import { definePlugin, parse, setting, verdict, type Verdict } from 'outpost/plugin';

export const wellTyped = definePlugin({
  name: 'type-tests',
  settings: {
    limit: setting({ env: 'TYPE_TEST_LIMIT', default: '5', parse: parse.count(1), doc: 'a number setting' }),
    label: setting({ env: 'TYPE_TEST_LABEL', default: 'x', parse: parse.text, doc: 'a text setting' }),
  },
  register(api) {
    // settings are typed by their parsers
    const limit: number = api.config.limit;
    const label: string = api.config.label;
    // @ts-expect-error a setting that was not declared
    void api.config.missing;
    // @ts-expect-error a number setting is not a string
    const wrong: string = api.config.limit;
    void [limit, label, wrong];

    // each hook's subject follows from its name
    api.addHook('message:validate', (message) => {
      const domain: string | undefined = message.author?.domain;
      void domain;
      return verdict.continue();
    });
    api.addHook('delivery:before', (group) => (group.domain === 'x.test' ? verdict.defer(451, '4.7.1', 'later') : undefined));
    api.addHook('mx:message', (message) => (message.recipients.length === 0 ? verdict.reject(550, '5.1.1', 'no such user') : verdict.continue()));
    api.addHook('message:scan', async () => undefined);

    // @ts-expect-error a hook name that does not exist
    api.addHook('message:sacn', () => verdict.continue());
    // @ts-expect-error a delivery hook gets a DeliveryGroup, not a message
    api.addHook('delivery:before', (group) => group.headers.getFirst('from'));
    // @ts-expect-error a message hook gets a PipelineMessage, which has no `domain`
    api.addHook('message:sign', (message) => (message.domain ? undefined : undefined));
    // @ts-expect-error a hook must answer a verdict (or nothing), not a string
    api.addHook('message:validate', () => 'ok');
    // @ts-expect-error a hook must answer a verdict, not a boolean
    api.addHook('message:queue', async () => true);
    // @ts-expect-error a verdict is built by the helpers: there is no "accept" action
    const made: Verdict = { action: 'accept' };
    void made;
    // @ts-expect-error reject takes a numeric code
    verdict.reject('550', '5.7.1', 'no');

    // @ts-expect-error an event that does not exist
    api.on('message:delivered', () => undefined);
    api.on('recipient:bounced', (event) => {
      // @ts-expect-error a bounce event has no `response` field (it has `reason` and `attempt`)
      void event.response;
    });
  },
});
