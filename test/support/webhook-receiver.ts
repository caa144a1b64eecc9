/**
 * A real HTTP receiver for webhook tests, on 127.0.0.1 port 0: records each
 * POST Outpost makes (headers, body, parsed JSON), answers with the status a
 * test chooses, and waits, bounded, for a number of requests.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: { id: string; type: string; created_at: string; data: Record<string, unknown> };
}

export interface WebhookReceiver {
  url: string;
  requests: ReceivedWebhook[];
  /** Status to answer with, per request (default 200). */
  answer: (index: number) => number;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedWebhook[] = [];
  let seen = 0;
  const receiver: Partial<WebhookReceiver> = { requests, answer: () => 200 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      const status = receiver.answer!(seen++);
      if (status === 200) requests.push({ headers: req.headers, body, json: JSON.parse(body) as ReceivedWebhook['json'] });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks/outpost`,
    async waitFor(count: number, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(requests.length >= count, `${requests.length} of ${count} webhook requests arrived: ${JSON.stringify(requests.map((each) => each.json.type))}`);
      return requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as WebhookReceiver;
}

