/**
 * Inspecting one file of a message, and every file inside it when it is an
 * archive (zip, gzip, tar, nested), within the per-message limits of
 * archive-limits.ts: the EICAR test file anywhere, and, when the attachment
 * policy refuses dangerous types, dangerous names, executable content, HTML
 * forms and encrypted entries. A file is read as a stream: only its first
 * bytes are kept, unless it is itself an archive (to open next) or an HTML page
 * (to look for forms), so memory stays within the expansion budget. It stops
 * at the first finding and never expands past a limit.
 */
import { archiveEntries, archiveKind, type ArchiveKind } from './archive-formats.js';
import { ArchiveRefusal, ExpansionBudget, type ArchiveLimits } from './archive-limits.js';
import { contentProblem, htmlFormProblem, isHtml, nameProblem, SNIFF_BYTES, type AttachmentProblem } from './attachment-policy.js';
import { EICAR_SIGNATURE, EicarMatcher } from './eicar.js';

/** What was found in a file: malware (where), or a reason to refuse it. */
export type FileFinding = { kind: 'malware'; virus: string; where: string } | { kind: 'refused'; symbol: string; reason: string };

export interface InspectionOptions {
  limits: ArchiveLimits;
  /** The attachment policy: refuse dangerous types (true), or allow them (false). Archive limits hold either way. */
  refuseDangerous: boolean;
}

/** A file being inspected: where it is (archive names, then its own) and what it is said to be. */
interface InspectedFile {
  path: string[];
  name: string | undefined;
  mediaType: string | undefined;
  /** Archive layers opened to reach it: 0 for a part of the message. */
  depth: number;
  /** Its size inside its archive, for the ratio check; undefined for a part of the message (not expanded from anything). */
  compressedBytes: number | undefined;
}

/** Inspects the files of one message; its expansion budget is shared by all of them. */
export class FileInspector {
  private readonly budget: ExpansionBudget;

  constructor(private readonly options: InspectionOptions) {
    this.budget = new ExpansionBudget(options.limits);
  }

  /** Inspects one decoded part of the message. */
  async inspectPart(part: { name: string | undefined; mediaType: string | undefined; content: Buffer }): Promise<FileFinding | undefined> {
    try {
      return await this.inspect({ path: [part.name ?? 'the message body'], name: part.name, mediaType: part.mediaType, depth: 0, compressedBytes: undefined }, [part.content]);
    } catch (error) {
      if (error instanceof ArchiveRefusal) return { kind: 'refused', symbol: error.symbol, reason: error.message };
      throw error;
    }
  }

  private async inspect(file: InspectedFile, chunks: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<FileFinding | undefined> {
    const where = file.path.join('/');
    const refuseDangerous = this.options.refuseDangerous;
    const eicar = new EicarMatcher();
    const html = refuseDangerous && isHtml(file.name, file.mediaType);
    // chunks kept until the first SNIFF_BYTES tell whether the file is worth keeping whole
    let kept: Buffer[] = [];
    let keptBytes = 0;
    let head: Buffer | undefined;
    let kind: ArchiveKind | undefined;
    let readBytes = 0;
    for await (const chunk of chunks) {
      readBytes += chunk.length;
      if (file.compressedBytes !== undefined) this.budget.spend(where, chunk.length, readBytes, file.compressedBytes);
      eicar.write(chunk);
      // returning here ends the iteration, which destroys the stream: nothing more is expanded
      if (eicar.found) return { kind: 'malware', virus: EICAR_SIGNATURE, where };
      if (head === undefined || kind !== undefined || html) {
        kept.push(chunk);
        keptBytes += chunk.length;
      }
      if (head === undefined && keptBytes >= SNIFF_BYTES) {
        head = headOf(kept);
        kind = archiveKind(head);
        if (kind === undefined && !html) kept = [];
      }
    }
    head ??= headOf(kept);
    kind ??= archiveKind(head);

    // malware first: a finding names what the file is before what it is called
    if (refuseDangerous) {
      const problem = nameProblem(file.name, file.mediaType) ?? contentProblem(file.name, head);
      if (problem) return refusal(file, problem);
    }
    if (kind === undefined && !html) return undefined;
    const content = kept.length === 1 ? kept[0]! : Buffer.concat(kept);
    if (html) {
      const problem = htmlFormProblem(file.name, content);
      if (problem) return refusal(file, problem);
    }
    return kind === undefined ? undefined : this.inspectArchive(file, kind, content);
  }

  private async inspectArchive(file: InspectedFile, kind: ArchiveKind, content: Buffer): Promise<FileFinding | undefined> {
    const where = file.path.join('/');
    if (file.depth >= this.options.limits.maxDepth) {
      throw new ArchiveRefusal('ARCHIVE_TOO_DEEP', `${where} nests archives more than ${this.options.limits.maxDepth} deep`);
    }
    try {
      for await (const entry of archiveEntries(kind, content, file.name ?? 'attachment')) {
        const path = [...file.path, entry.name];
        if (entry.encrypted) {
          if (!this.options.refuseDangerous) continue;
          return { kind: 'refused', symbol: 'ARCHIVE_ENCRYPTED', reason: `${path.join('/')} is encrypted, so it cannot be checked for malware` };
        }
        this.budget.admit(path.join('/'), entry.declaredBytes, entry.compressedBytes);
        const finding = await this.inspect({ path, name: entry.name, mediaType: undefined, depth: file.depth + 1, compressedBytes: entry.compressedBytes }, await entry.open());
        if (finding) return finding;
      }
      return undefined;
    } catch (error) {
      if (error instanceof ArchiveRefusal) throw error;
      throw new ArchiveRefusal('ARCHIVE_UNREADABLE', `${where} cannot be read as a ${kind} archive (${(error as Error).message}), so it cannot be checked`);
    }
  }
}

/** A policy refusal; for a file inside an archive the reason says which archive. */
function refusal(file: InspectedFile, problem: AttachmentProblem): FileFinding {
  const inside = file.path.length > 1 ? ` (inside ${file.path.slice(0, -1).join('/')})` : '';
  return { kind: 'refused', symbol: problem.symbol, reason: problem.reason + inside };
}

/** The first SNIFF_BYTES of the chunks kept (a copy only when they span several chunks). */
function headOf(chunks: Buffer[]): Buffer {
  const first = chunks[0];
  if (first && first.length >= SNIFF_BYTES) return first.subarray(0, SNIFF_BYTES);
  return Buffer.concat(chunks).subarray(0, SNIFF_BYTES);
}
