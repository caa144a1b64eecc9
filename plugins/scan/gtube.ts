/**
 * GTUBE, the Generic Test for Unsolicited Bulk Email: a fixed string every spam
 * filter (SpamAssassin, rspamd) treats as certain spam, so a sender can check
 * that filtering works end to end. The built-in scanner looks for it in the
 * decoded text of a message; it matches nothing else and scores nothing.
 */

/** The test string, as SpamAssassin and rspamd define it. */
export const GTUBE = 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X';

const GTUBE_BYTES = Buffer.from(GTUBE, 'latin1');

/** Whether decoded text contains the test string. */
export function containsGtube(text: Buffer): boolean {
  return text.includes(GTUBE_BYTES);
}
