/**
 * A bounded SMTP submission load, the SMTP counterpart of http-load.ts:
 * `sessions` connections to Outpost's submission listener (587's stand-in:
 * STARTTLS with the generated certificate unverified, then AUTH PLAIN with an
 * account's API key as the password), each sending messages one after another
 * (optionally paced) until `messages` have been started, the deadline passes
 * or `stop()` says so.
 * For each message it records the reply that settled it (the DATA reply, or the
 * envelope command's that refused it) or, when none came, the connection error.
 * After a refusal the session sends RSET and goes on; after a connection error
 * it ends. Nothing here retries, so fault tests can check what each client was told.
 */
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { NodemailerError } from 'nodemailer/lib/errors';
import { splitAddress } from './smtp-client.js';
import { openSmtpSession, resetSession, sendOverSession } from './smtp-session.js';

export interface SmtpSendRecord {
  /** 0-based, in the order the messages were started. */
  index: number;
  session: number;
  /** The reply code; undefined when the connection failed without one. */
  code?: number;
  /** The whole reply, e.g. `250 2.6.0 Ok: queued as <id>` or `451 4.3.0 spool write failed: ...`. */
  response?: string;
  /** The connection error, when there was no reply. */
  error?: string;
}

/** A session that could not get as far as sending (connect, STARTTLS or AUTH failed). */
export interface SmtpSessionFailure {
  session: number;
  /** The reply that refused it, if any (e.g. `454 4.7.0 ...` to AUTH). */
  response?: string;
  error: string;
}

export interface SmtpLoadOptions {
  /** `host:port` of the STARTTLS submission listener. */
  address: string;
  /** The password of AUTH PLAIN. */
  apiKey: string;
  sessions: number;
  /** Upper bound on messages started, over all sessions. */
  messages: number;
  /** Pace: message n starts no earlier than n × this after the start (default 0: each session back to back). */
  intervalMs?: number;
  /** Envelope and content of message `index`. */
  messageFor: (index: number) => { from: string; to: string[]; raw: Buffer };
  /** Upper bound on the whole run (default 120 s); each command also times out after 30 s. */
  deadlineMs?: number;
  /** Checked before each message: true ends the run. */
  stop?: () => boolean;
  /** Called as each message is settled. */
  onRecord?: (record: SmtpSendRecord) => void;
  /** Called when a session cannot start. */
  onSessionFailure?: (failure: SmtpSessionFailure) => void;
}

export interface SmtpLoadResult {
  records: SmtpSendRecord[];
  sessionFailures: SmtpSessionFailure[];
  wallMs: number;
}

const COMMAND_TIMEOUT_MS = 30_000;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runSmtpLoad(options: SmtpLoadOptions): Promise<SmtpLoadResult> {
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  const records: SmtpSendRecord[] = [];
  const sessionFailures: SmtpSessionFailure[] = [];
  const started = performance.now();
  const startedAt = Date.now();
  let next = 0;
  const more = () => next < options.messages && Date.now() < deadline && !options.stop?.();

  const session = async (sessionNumber: number): Promise<void> => {
    let connection: SMTPConnection;
    try {
      const [host, port] = splitAddress(options.address);
      connection = await openSmtpSession({ host, port, auth: { user: 'outpost-test', pass: options.apiKey }, timeoutMs: COMMAND_TIMEOUT_MS });
    } catch (error) {
      const { response, message } = error as NodemailerError;
      const failure: SmtpSessionFailure = { session: sessionNumber, error: message, ...(response ? { response } : {}) };
      sessionFailures.push(failure);
      options.onSessionFailure?.(failure);
      return;
    }
    try {
      while (more()) {
        const index = next++;
        const wait = startedAt + index * (options.intervalMs ?? 0) - Date.now();
        if (wait > 0) {
          await pause(wait);
          if (options.stop?.()) break;
        }
        let record: SmtpSendRecord;
        let goOn = true;
        try {
          const message = options.messageFor(index);
          const { response } = await sendOverSession(connection, { from: message.from, to: message.to }, message.raw);
          record = { index, session: sessionNumber, code: Number(response.slice(0, 3)), response };
        } catch (error) {
          const { responseCode, response, code, message } = error as NodemailerError;
          if (responseCode && response) {
            record = { index, session: sessionNumber, code: responseCode, response };
            // 421 closes the session; other refusals leave it usable after RSET
            goOn = responseCode !== 421 && (await resetSession(connection));
          } else {
            record = { index, session: sessionNumber, error: `${code ?? 'error'}: ${message}` };
            goOn = false;
          }
        }
        records.push(record);
        options.onRecord?.(record);
        if (!goOn) break;
      }
    } finally {
      connection.close();
    }
  };
  await Promise.all(Array.from({ length: options.sessions }, (_, sessionNumber) => session(sessionNumber)));
  return { records, sessionFailures, wallMs: performance.now() - started };
}
