/**
 * What reached the MX in a kill -9 run (crash-run.ts), per way in: the
 * server's own submissions (`X-Test-Seq: n`, to rcpt<n>@dest.test), REST sends
 * (`Subject: crash rest <n>`, to rest<n>@dest.test) and SMTP submissions
 * (`Subject: crash smtp <n>`, to smtp<n>@dest.test). Each message is counted
 * per run of the server, so a message delivered by both runs (redelivered) is
 * told apart from one a single run delivered twice, which must never happen.
 */
import type { ReceivedMessage } from './mx-server.js';

/** One way into the server: how its messages are labelled and addressed. */
export interface MessageSource {
  /** For problem reports: `#3`, `rest #3`, `smtp #3`. */
  label: string;
  /** n of a message from this source, or undefined when it is not one. */
  indexOf(message: ReceivedMessage): number | undefined;
  /** The one recipient of message n. */
  recipientOf(index: number): string;
  /** n of an address of this source (`rest7@dest.test` → 7), or undefined. */
  indexInAddress(address: string): number | undefined;
}

function headerOf(message: ReceivedMessage): string {
  const headerEnd = message.raw.indexOf('\r\n\r\n');
  return message.raw.subarray(0, headerEnd === -1 ? message.raw.length : headerEnd).toString('latin1');
}

function source(label: string, header: RegExp, localPart: string): MessageSource {
  const address = new RegExp(`^${localPart}(\\d+)@dest\\.test$`);
  return {
    label,
    indexOf(message) {
      const match = header.exec(headerOf(message));
      return match ? Number(match[1]) : undefined;
    },
    recipientOf: (index) => `${localPart}${index}@dest.test`,
    indexInAddress(text) {
      const match = address.exec(text);
      return match ? Number(match[1]) : undefined;
    },
  };
}

/** The child's own submissions (outpost.submit()), by their X-Test-Seq header. */
export const OWN_SUBMISSIONS = source('#', /^X-Test-Seq:[ \t]*(\d+)[ \t]*$/im, 'rcpt');
export const REST_SENDS = source('rest #', /^Subject: crash rest (\d+)[ \t]*$/im, 'rest');
export const SMTP_SENDS = source('smtp #', /^Subject: crash smtp (\d+)[ \t]*$/im, 'smtp');
export const SOURCES = [OWN_SUBMISSIONS, REST_SENDS, SMTP_SENDS];

/** What one source's messages did at the MX over the runs of the server. */
export interface Deliveries {
  /** Indexes delivered by any run. */
  delivered: Set<number>;
  /** Delivered by the first run and again by a later one, ascending. */
  redelivered: number[];
  /** `run N: #n xK`: one run of the server delivered a message more than once. */
  twiceInOneRun: string[];
  /** Messages that went to someone other than their own one recipient. */
  misaddressed: string[];
}

/** `runs`: what reached the MX during each run of the server, in order. */
export function deliveriesOf(from: MessageSource, runs: ReceivedMessage[][]): Deliveries {
  const misaddressed: string[] = [];
  const perRun = runs.map((received) => {
    const counts = new Map<number, number>();
    for (const message of received) {
      const index = from.indexOf(message);
      if (index === undefined) continue;
      counts.set(index, (counts.get(index) ?? 0) + 1);
      if (message.rcptTo.length !== 1 || message.rcptTo[0] !== from.recipientOf(index)) misaddressed.push(`${from.label}${index} to ${message.rcptTo.join(',')}`);
    }
    return counts;
  });
  const [first = new Map<number, number>(), ...later] = perRun;
  return {
    delivered: new Set(perRun.flatMap((counts) => [...counts.keys()])),
    redelivered: [...new Set(later.flatMap((counts) => [...counts.keys()]))].filter((index) => first.has(index)).sort((a, b) => a - b),
    twiceInOneRun: perRun.flatMap((counts, run) => [...counts].filter(([, count]) => count > 1).map(([index, count]) => `run ${run + 1}: #${index} x${count}`)),
    misaddressed,
  };
}

/** Acknowledged indexes that are not at the MX (yet). */
export function missingAt(received: ReceivedMessage[], from: MessageSource, acked: Iterable<number>): number[] {
  const delivered = new Set(received.map((message) => from.indexOf(message)));
  return [...acked].filter((index) => !delivered.has(index));
}

/** The start of each message at the MX that no source claims. */
export function unlabelled(received: ReceivedMessage[]): string[] {
  return received.filter((message) => SOURCES.every((from) => from.indexOf(message) === undefined)).map((message) => message.raw.subarray(0, 200).toString());
}
