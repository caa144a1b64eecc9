/**
 * The bounds on opening archives, per message: how deep archives may nest,
 * how many files they may hold, how many bytes they may expand to in all, and
 * how far one entry may expand beyond its compressed size. A zip bomb (a small
 * archive that expands to gigabytes) is refused from what it declares before
 * anything is read, and, when it lies about its sizes, as soon as the bytes
 * read pass the budget or the ratio: reading stops there, never later.
 */

export interface ArchiveLimits {
  /** Archive layers that may be opened: 2 reaches a file in a zip in a zip. */
  maxDepth: number;
  /** Bytes all archives of one message may expand to together. */
  maxExpandedBytes: number;
  /** Most bytes one entry may expand to per compressed byte (above RATIO_FLOOR_BYTES). */
  maxRatio: number;
  /** Files all archives of one message may hold together. */
  maxFiles: number;
}

/** Below this an entry is not judged by its ratio: a small file of zeros compresses 1000:1 and harms nobody. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;

/** An archive that cannot be opened within the limits, or at all: the message is refused with `symbol`. */
export class ArchiveRefusal extends Error {
  constructor(readonly symbol: string, reason: string) {
    super(reason);
    this.name = 'ArchiveRefusal';
  }
}

const MiB = 1024 * 1024;
const inMiB = (bytes: number): string => `${Math.round((bytes / MiB) * 10) / 10} MiB`;

/** What one message's archives may still expand to; spent as entries are read. */
export class ExpansionBudget {
  private expandedBytes = 0;
  private files = 0;

  constructor(readonly limits: ArchiveLimits) {}

  /** Before reading an entry: counts it, and refuses what its declared sizes already show to be too much. */
  admit(name: string, declaredBytes: number, compressedBytes: number): void {
    this.files += 1;
    if (this.files > this.limits.maxFiles) {
      throw new ArchiveRefusal('ARCHIVE_TOO_MANY_FILES', `the attached archives hold more than ${this.limits.maxFiles} files`);
    }
    if (this.expandedBytes + declaredBytes > this.limits.maxExpandedBytes) {
      throw new ArchiveRefusal('ARCHIVE_TOO_LARGE', `${name} expands to ${inMiB(declaredBytes)}, beyond the ${inMiB(this.limits.maxExpandedBytes)} the archives of one message may expand to (a zip bomb?)`);
    }
    this.checkRatio(name, declaredBytes, compressedBytes);
  }

  /**
   * While reading an entry: counts `bytes` more, `entryBytes` so far of an
   * entry `compressedBytes` long, and throws as soon as either bound is passed.
   */
  spend(name: string, bytes: number, entryBytes: number, compressedBytes: number): void {
    this.expandedBytes += bytes;
    if (this.expandedBytes > this.limits.maxExpandedBytes) {
      throw new ArchiveRefusal('ARCHIVE_TOO_LARGE', `${name} expands beyond the ${inMiB(this.limits.maxExpandedBytes)} the archives of one message may expand to (a zip bomb?)`);
    }
    this.checkRatio(name, entryBytes, compressedBytes);
  }

  private checkRatio(name: string, expandedBytes: number, compressedBytes: number): void {
    if (expandedBytes <= RATIO_FLOOR_BYTES || expandedBytes <= this.limits.maxRatio * Math.max(compressedBytes, 1)) return;
    throw new ArchiveRefusal('ARCHIVE_RATIO', `${name} expands more than ${this.limits.maxRatio} times its compressed size (a zip bomb?)`);
  }
}
