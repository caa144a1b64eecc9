/**
 * Built-in validate plugin: a message must name its author (From, RFC 5322
 * 3.6.2), and gets the Date and Message-ID headers receivers expect when the
 * client left them out (Message-ID on OUTPOST_HOSTNAME).
 */
import { randomUUID } from 'node:crypto';
import { definePlugin, verdict } from 'outpost/plugin';

export default definePlugin({
  name: 'message-headers',
  register(api) {
    api.addHook(
      'message:validate',
      (message) => {
        if (!message.headers.hasHeader('from')) {
          return verdict.reject(550, '5.6.0', 'the message has no From header; add one naming the sender');
        }
        if (!message.headers.hasHeader('date')) message.headers.add('Date', new Date(message.createdAt).toUTCString().replace('GMT', '+0000'));
        if (!message.headers.hasHeader('message-id')) message.headers.add('Message-ID', `<${randomUUID()}@${api.outpost.hostname}>`);
        return verdict.continue();
      },
      { order: 10 },
    );
  },
});
