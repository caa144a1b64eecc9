/**
 * The cost of tracking per message (plugins/tracking/rewrite-message.ts): a
 * typical newsletter, 30 KB of HTML with 40 links and its text part, composed
 * by nodemailer's MailComposer as the REST front end does, rewritten with open
 * and click tracking (links signed as the plugin signs them). CPU per message
 * and latency percentiles, in this process; nothing else runs.
 *
 *   npm run bench:tracking -- --messages 2000
 */
import { createHmac } from 'node:crypto';
import { parseArgs } from 'node:util';
import MailComposer from 'nodemailer/lib/mail-composer';
import { trackMessage } from '../plugins/tracking/rewrite-message.js';
import { percentile } from '../test/support/http-load.js';
import { recordResult, round, sectionHeader } from './lib/results.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '2000' } } });
const total = Number(values.messages);
if (!(Number.isInteger(total) && total >= 10 && total <= 100_000)) throw new Error('--messages: 10 to 100000');

/** 40 links in 40 paragraphs of table-based newsletter HTML, padded to about 30 KB. */
function newsletterHtml(): string {
  const rows = Array.from({ length: 40 }, (_, index) =>
    `<tr><td style="padding:12px 24px;font-family:Arial,sans-serif;font-size:15px;line-height:22px;color:#333333">` +
    `<h2 style="margin:0 0 8px;font-size:18px">Story ${index + 1}: what changed this week</h2>` +
    `<p style="margin:0 0 12px">${'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore. '.repeat(4)}</p>` +
    `<a href="https://news.example.com/stories/${index + 1}?utm_source=newsletter&amp;utm_medium=email" style="color:#0b57d0">Read story ${index + 1}</a></td></tr>`,
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>Weekly</title></head><body style="margin:0"><table width="100%" cellpadding="0" cellspacing="0">${rows.join('')}</table></body></html>`;
}

const html = newsletterHtml();
const raw = await new MailComposer({ from: 'news@acme.test', to: 'reader@example.org', subject: 'Weekly', text: 'Our weekly stories: https://news.example.com/stories', html }).compile().build();
const key = Buffer.alloc(32, 7);
const sign = (data: string) => {
  const payload = Buffer.from(data).toString('base64url');
  return `${payload}.${createHmac('sha256', key).update(payload).digest().subarray(0, 16).toString('base64url')}`;
};
const tracking = {
  trackLink: (url: string) => `https://mail.acme.test/t/c/${sign(JSON.stringify(['click', '0mxbckl76815464a788a1693f', 'reader@example.org', url]))}`,
  pixelUrl: `https://mail.acme.test/t/o/${sign(JSON.stringify(['open', '0mxbckl76815464a788a1693f', 'reader@example.org']))}`,
};

for (let index = 0; index < 100; index++) await trackMessage(raw, tracking);
const latencies: number[] = [];
let links = 0;
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let index = 0; index < total; index++) {
  const at = performance.now();
  links = (await trackMessage(raw, tracking)).links;
  latencies.push(performance.now() - at);
}
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
latencies.sort((a, b) => a - b);
const result = {
  messages: total,
  htmlBytes: Buffer.byteLength(html),
  messageBytes: raw.length,
  linksRewritten: links,
  cpuMsPerMessage: round((cpu.user + cpu.system) / 1000 / total, 3),
  p50Ms: round(percentile(latencies, 50), 3),
  p99Ms: round(percentile(latencies, 99), 3),
  messagesPerSecond: round(total / (wallMs / 1000)),
};
console.log(`\nTracking: a ${round(result.htmlBytes / 1024, 1)} KB newsletter HTML with ${links} links (message ${round(raw.length / 1024, 1)} KB), open and click tracking, ${total} messages`);
console.table(result);
await recordResult('tracking', {
  ...sectionHeader('tracking rewrite per message: 30 KB newsletter HTML with 40 links, open and click tracking', `npm run bench:tracking -- --messages ${total}`),
  ...result,
});
