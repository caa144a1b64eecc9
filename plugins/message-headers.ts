/**
 * Built-in validate plugin: a message gets the Date and Message-ID headers
 * receivers expect when the client left them out (Message-ID on
 * OUTPOST_HOSTNAME). That it names exactly one author (From, RFC 5322 3.6) is
 * checked before any plugin runs, by the validate stage itself, so disabling
 * this plugin cannot let a message through without one.
 */
import { randomUUID } from 'node:crypto';
import { definePlugin, verdict } from 'outpost/plugin';

export default definePlugin({
  name: 'message-headers',
  register(api) {
    api.addHook(
      'message:validate',
      (message) => {
        if (!message.headers.hasHeader('date')) message.headers.add('Date', new Date(message.createdAt).toUTCString().replace('GMT', '+0000'));
        if (!message.headers.hasHeader('message-id')) message.headers.add('Message-ID', `<${randomUUID()}@${api.outpost.hostname}>`);
        return verdict.continue();
      },
      { order: 10 },
    );
  },
});
