/**
 * rspamd's HTTP protocol: POST /checkv2 with the raw message and the envelope
 * in headers (From, one Rcpt per recipient, Queue-Id); rspamd answers JSON
 * with its action, score and symbols. Node's http client is used rather than
 * fetch because rspamd wants each recipient in a Rcpt header of its own.
 * Only the protocol: what an action means for the message is the plugin's.
 */
import http from 'node:http';
import https from 'node:https';

export interface RspamdReport {
  /** `reject`, `soft reject`, `greylist`, `add header`, `rewrite subject` or `no action`. */
  action: string;
  score: number;
  requiredScore: number;
  /** Symbol names, highest scores first. */
  symbols: string[];
  /** The new Subject rspamd proposes with `rewrite subject`. */
  subject: string | undefined;
}

interface CheckAnswer {
  action?: unknown;
  score?: unknown;
  required_score?: unknown;
  symbols?: Record<string, { score?: number }>;
  subject?: unknown;
}

/** Envelope headers only when they are plain ASCII (an SMTPUTF8 address cannot go into an HTTP header). */
const headerSafe = (value: string): boolean => /^[\x21-\x7e]+$/.test(value);

/** rspamd's report on `message`. Throws when rspamd cannot be had or answers anything but 200 with a report. */
export function rspamdCheck(base: URL, message: Buffer, envelope: { id: string; from: string; recipients: string[] }, signal: AbortSignal): Promise<RspamdReport> {
  const url = new URL('checkv2', base.href.endsWith('/') ? base : `${base.href}/`);
  const headers: Record<string, string | string[] | number> = { 'content-length': message.length, 'queue-id': envelope.id };
  if (envelope.from && headerSafe(envelope.from)) headers.from = envelope.from;
  const recipients = envelope.recipients.filter(headerSafe);
  if (recipients.length > 0) headers.rcpt = recipients;
  return new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(url, { method: 'POST', headers, signal }, (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > 1024 * 1024) return request.destroy(new Error('rspamd answered more than 1 MiB'));
        chunks.push(chunk);
      });
      response.on('error', reject);
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (response.statusCode !== 200) return reject(new Error(`rspamd answered HTTP ${response.statusCode}: ${text.slice(0, 200)}`));
        try {
          resolve(reportOf(JSON.parse(text) as CheckAnswer));
        } catch (error) {
          reject(new Error(`rspamd answered something that is not a report (${(error as Error).message})`));
        }
      });
    });
    request.on('error', (error) => reject(signal.aborted ? new Error(`${url.host} did not answer in time`) : error));
    request.end(message);
  });
}

function reportOf(answer: CheckAnswer): RspamdReport {
  if (typeof answer.action !== 'string' || typeof answer.score !== 'number') throw new Error('no action and score');
  const symbols = Object.entries(answer.symbols ?? {})
    .sort(([, a], [, b]) => Math.abs(b.score ?? 0) - Math.abs(a.score ?? 0))
    .map(([name]) => name)
    .slice(0, 50);
  return {
    action: answer.action,
    score: answer.score,
    requiredScore: typeof answer.required_score === 'number' ? answer.required_score : Number.NaN,
    symbols,
    subject: typeof answer.subject === 'string' ? answer.subject : undefined,
  };
}
