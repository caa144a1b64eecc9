/**
 * A bounded HTTP load loop on node:http with keep-alive: `concurrency` workers
 * POST JSON bodies until `requests` have been sent, the deadline passes or
 * `stop()` says so, recording for each request when it started and ended,
 * the status and the parsed answer (or the network error). Fault tests use
 * the records to check what each client was told; the benchmarks use the
 * timings. Nothing here retries.
 */
import http from 'node:http';

export interface LoadRequestRecord {
  index: number;
  /** Date.now() when the request was handed to the socket. */
  startedAt: number;
  latencyMs: number;
  /** HTTP status; undefined when the request failed on the network (reset, refused, hang up). */
  status?: number;
  /** The parsed JSON answer (or its text when it is not JSON). */
  body?: unknown;
  /** The network error, when there was no HTTP answer. */
  error?: string;
}

export interface LoadOptions {
  /** `host:port`. */
  address: string;
  path: string;
  headers?: Record<string, string>;
  /** The JSON body of request `index` (0-based). */
  bodyFor: (index: number) => unknown;
  concurrency: number;
  /** Upper bound on requests sent. */
  requests: number;
  /** Upper bound on the whole run (default 120 s). */
  deadlineMs?: number;
  /** Checked before each request: true ends the run. */
  stop?: () => boolean;
  /** Called as each answer (or error) arrives. */
  onRecord?: (record: LoadRequestRecord) => void;
}

export interface LoadResult {
  records: LoadRequestRecord[];
  wallMs: number;
}

export async function runHttpLoad(options: LoadOptions): Promise<LoadResult> {
  const [host, portText] = splitAddress(options.address);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  const records: LoadRequestRecord[] = [];
  let next = 0;
  const started = performance.now();

  const send = (index: number): Promise<LoadRequestRecord> =>
    new Promise((resolve) => {
      const payload = Buffer.from(JSON.stringify(options.bodyFor(index)));
      const startedAt = Date.now();
      const begin = performance.now();
      const finish = (fields: Partial<LoadRequestRecord>): void => resolve({ index, startedAt, latencyMs: performance.now() - begin, ...fields });
      const request = http.request(
        {
          host,
          port: Number(portText),
          path: options.path,
          method: 'POST',
          agent,
          headers: { ...options.headers, 'content-type': 'application/json', 'content-length': String(payload.length) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (error) => finish({ status: response.statusCode, error: error.message }));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let body: unknown = text;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            finish({ status: response.statusCode, body });
          });
        },
      );
      request.on('error', (error) => finish({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
      request.end(payload);
    });

  const worker = async (): Promise<void> => {
    while (next < options.requests && Date.now() < deadline && !options.stop?.()) {
      const record = await send(next++);
      records.push(record);
      options.onRecord?.(record);
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return { records, wallMs: performance.now() - started };
}

function splitAddress(address: string): [string, string] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), address.slice(at + 1)];
}

/** The value below which `p` percent of `sorted` (ascending) fall. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
