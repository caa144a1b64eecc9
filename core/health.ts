/**
 * What GET /health judges: the parts one Outpost node needs to take and
 * deliver mail. A pure function of their observed state, so every way a part
 * can be down is testable without breaking a real server. It never counts the
 * queue as a failure: a long queue is load, not an outage (it is reported
 * beside the verdict instead).
 */

/** The observed state of each part. */
export interface PartStates {
  /** Each listener by name; undefined when it is disabled (port `off`). */
  listeners: Record<string, { listening: boolean } | undefined>;
  spool: {
    /** The LevelDB store is open (not closing, closed or failed to open). */
    open: boolean;
    /** The most recent synced write failed and none has succeeded since. */
    writesFailing: boolean;
  };
}

/** Names of the parts that are down, listeners first in the order given, then `spool`; empty when healthy. */
export function failingParts(states: PartStates): string[] {
  const failing = Object.entries(states.listeners)
    .filter(([, listener]) => listener !== undefined && !listener.listening)
    .map(([name]) => name);
  if (!states.spool.open || states.spool.writesFailing) failing.push('spool');
  return failing;
}
