/**
 * The archive formats the built-in scanner opens, each read by a maintained
 * library: zip (yauzl: stored and deflated entries, zip64, entry sizes checked
 * against what the archive declares), gzip (node:zlib) and tar (tar-stream).
 * Each gives its entries one at a time, with the sizes the archive declares
 * and a stream of the entry's bytes; nothing is expanded until the caller
 * reads, and it stops when the caller stops. It never writes to disk.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import yauzl from 'yauzl';

export type ArchiveKind = 'zip' | 'gzip' | 'tar';

export interface ArchiveEntry {
  name: string;
  /** The expanded size the archive declares (it may lie: the bytes read are counted too). */
  declaredBytes: number;
  /** The bytes the entry takes inside the archive. */
  compressedBytes: number;
  /** Encrypted entries cannot be read, so they cannot be checked. */
  encrypted: boolean;
  /** The entry's bytes; read them (or not) before asking for the next entry. */
  open(): Promise<AsyncIterable<Buffer>>;
}

/** The archive format `head` (a file's first bytes, 262 at least for tar) starts with, if any. */
export function archiveKind(head: Buffer): ArchiveKind | undefined {
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6))) return 'zip';
  if (head.length >= 3 && head[0] === 0x1f && head[1] === 0x8b && head[2] === 8) return 'gzip';
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  return undefined;
}

/** The entries of an archive of `kind` held in `content`, as they come; library errors are thrown as they are. */
export function archiveEntries(kind: ArchiveKind, content: Buffer, name: string): AsyncGenerator<ArchiveEntry> {
  if (kind === 'zip') return zipEntries(content);
  if (kind === 'gzip') return gzipEntry(content, name);
  return tarEntries(content);
}

async function* zipEntries(content: Buffer): AsyncGenerator<ArchiveEntry> {
  const zip = await yauzl.fromBufferPromise(content, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, decodeStrings: true });
  try {
    for await (const entry of zip.eachEntry()) {
      // directories hold nothing to check
      if (entry.fileName.endsWith('/')) continue;
      yield {
        name: entry.fileName,
        declaredBytes: entry.uncompressedSize,
        compressedBytes: entry.compressedSize,
        encrypted: entry.isEncrypted(),
        open: () => zip.openReadStreamPromise(entry),
      };
    }
  } finally {
    zip.close();
  }
}

async function* gzipEntry(content: Buffer, name: string): AsyncGenerator<ArchiveEntry> {
  // ISIZE, the last 4 bytes: the expanded size modulo 2^32 as the archive declares it
  const declaredBytes = content.length >= 18 ? content.readUInt32LE(content.length - 4) : 0;
  yield {
    name: /\.t?gz$/i.test(name) ? name.replace(/\.tgz$/i, '.tar').replace(/\.gz$/i, '') : `${name} (gunzipped)`,
    declaredBytes,
    compressedBytes: content.length,
    encrypted: false,
    open: async () => Readable.from([content]).pipe(zlib.createGunzip()),
  };
}

async function* tarEntries(content: Buffer): AsyncGenerator<ArchiveEntry> {
  const extract = tar.extract();
  // a broken archive shows up as an error of the entries' iterator below
  const feeding = pipeline(Readable.from([content]), extract).catch(() => undefined);
  try {
    for await (const entry of extract) {
      const { type, size = 0, name } = entry.header;
      if (type === 'file' || type === 'contiguous-file') {
        yield { name, declaredBytes: size, compressedBytes: size, encrypted: false, open: async () => entry };
      }
      // tar-stream gives the next entry only once this one has been read to its end
      entry.resume();
    }
  } finally {
    extract.destroy();
    await feeding;
  }
}
