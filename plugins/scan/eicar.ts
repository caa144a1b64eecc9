/**
 * The EICAR anti-virus test file: a 68-byte string every virus scanner
 * reports as malware, so a sender can check that scanning works without
 * handling real malware. The matcher finds it in a stream of chunks (a file
 * read from an archive) across chunk boundaries, keeping only the last few
 * bytes of what it saw: it never holds a file.
 */

/** The test file's content, as eicar.org publishes it. */
export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

/** The name scanners report it by (ClamAV's official signature). */
export const EICAR_SIGNATURE = 'Eicar-Test-Signature';

const EICAR_BYTES = Buffer.from(EICAR, 'latin1');
/** Bytes of one chunk's end that can begin a match finished by the next chunk. */
const SEAM = EICAR_BYTES.length - 1;

/** Looks for the test file in a stream of chunks; `found` turns true once it has passed by. */
export class EicarMatcher {
  found = false;
  /** The last SEAM bytes seen (a copy: never a slice that would keep a whole chunk alive). */
  private tail = Buffer.alloc(0);

  write(chunk: Buffer): void {
    if (this.found || chunk.length === 0) return;
    if (chunk.includes(EICAR_BYTES) || (this.tail.length > 0 && Buffer.concat([this.tail, chunk.subarray(0, SEAM)]).includes(EICAR_BYTES))) {
      this.found = true;
      return;
    }
    const recent = chunk.length >= SEAM ? chunk.subarray(chunk.length - SEAM) : Buffer.concat([this.tail, chunk]).subarray(-SEAM);
    this.tail = Buffer.from(recent);
  }
}
