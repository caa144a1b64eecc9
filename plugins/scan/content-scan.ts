/**
 * The built-in scanner's work on one message, without the plugin around it (so
 * the benchmark can time it alone): split the message into decoded parts,
 * look for GTUBE in its text, then inspect every part (archives opened within
 * the limits) for EICAR and, under the refusing attachment policy, dangerous
 * attachments. Attached messages (message/rfc822) are scanned part by part as
 * one more layer. The first finding decides. It never changes the message.
 */
import type { ArchiveLimits } from './archive-limits.js';
import { FileInspector, type FileFinding } from './archives.js';
import { containsGtube } from './gtube.js';
import { mimeParts, type MimePart } from './mime-parts.js';
import type { ScanFinding } from './outcome.js';

export interface ContentScanOptions {
  limits: ArchiveLimits;
  /** Dangerous attachment types: refused, or allowed. */
  attachments: 'refuse' | 'allow';
}

/** The built-in scanner's finding for the message `raw` (header block and body). */
export async function scanContent(raw: Buffer, options: ContentScanOptions): Promise<ScanFinding> {
  const inspector = new FileInspector({ limits: options.limits, refuseDangerous: options.attachments === 'refuse' });
  return (await scanParts(await mimeParts(raw), inspector, options.limits, 0)) ?? { verdict: 'clean' };
}

async function scanParts(parts: MimePart[], inspector: FileInspector, limits: ArchiveLimits, depth: number): Promise<ScanFinding | undefined> {
  for (const part of parts) {
    if (part.contentType.startsWith('text/') && containsGtube(part.content)) {
      return { verdict: 'spam', symbols: ['GTUBE'], reason: 'the GTUBE test string' };
    }
    if (part.contentType === 'message/rfc822') {
      const finding = depth >= limits.maxDepth
        ? { verdict: 'refused' as const, symbols: ['ARCHIVE_TOO_DEEP'], reason: `attached messages nest more than ${limits.maxDepth} deep` }
        : await scanParts(await mimeParts(part.content), inspector, limits, depth + 1);
      if (finding) return finding;
      continue;
    }
    // body text is no attachment: its name and type are not judged, only its content
    const found = await inspector.inspectPart({ name: part.filename, mediaType: part.attachment ? part.contentType : undefined, content: part.content });
    if (found) return findingOf(found);
  }
  return undefined;
}

function findingOf(found: FileFinding): ScanFinding {
  if (found.kind === 'malware') return { verdict: 'malware', virus: found.virus, symbols: ['EICAR'], reason: `${found.virus} in ${found.where}` };
  return { verdict: 'refused', symbols: [found.symbol], reason: found.reason };
}
