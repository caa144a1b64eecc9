/**
 * The dangerous-attachment policy of the built-in scanner: file types a
 * transactional message has no business carrying, judged by name, by media
 * type and by content. Executables and scripts (the extensions Gmail blocks),
 * names that disguise one (`invoice.pdf.exe`, bidirectional-text tricks),
 * executable content under any name (Windows PE, ELF, Mach-O), and HTML
 * attachments with forms (credential phishing). Each check answers a symbol
 * and one sentence; none reads more than the bytes it is given.
 */

/** A policy breach: the symbol the message log shows and the reason the sender reads. */
export interface AttachmentProblem {
  symbol: string;
  reason: string;
}

/** Extensions of executables and scripts, as Gmail blocks them (support.google.com/mail/answer/6590). */
const DANGEROUS_EXTENSIONS = new Set([
  'ade', 'adp', 'apk', 'appx', 'appxbundle', 'bat', 'cab', 'chm', 'cmd', 'com', 'cpl', 'diagcab', 'diagcfg', 'diagpack', 'dll',
  'dmg', 'ex', 'ex_', 'exe', 'hta', 'img', 'ins', 'iso', 'isp', 'jar', 'jnlp', 'js', 'jse', 'lib', 'lnk', 'mde', 'msc', 'msi',
  'msix', 'msixbundle', 'msp', 'mst', 'nsh', 'pif', 'ps1', 'scr', 'sct', 'shb', 'sys', 'vb', 'vbe', 'vbs', 'vhd', 'vxd', 'wsc',
  'wsf', 'wsh', 'xll',
]);

/** Media types that announce an executable whatever the name says. */
const DANGEROUS_MEDIA_TYPES = new Set(['application/x-msdownload', 'application/x-msdos-program', 'application/x-dosexec', 'application/hta']);

/** Extensions a disguised executable pretends to have (the first of a double extension). */
const DOCUMENT_EXTENSIONS = new Set(['pdf', 'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'rtf', 'txt', 'csv', 'jpg', 'jpeg', 'png', 'gif', 'zip', 'rar', 'mp3', 'mp4', 'htm', 'html']);

/** Bidirectional controls that make `invoice<RLO>fdp.exe` display as `invoiceexe.pdf`. */
const BIDI_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** Bytes of a file's start that contentProblem reads. */
export const SNIFF_BYTES = 512;

/**
 * The name as Windows would open it: trailing dots and spaces dropped
 * (`evil.exe.` runs as evil.exe), spaces before an extension ignored.
 */
function extensionsOf(name: string): string[] {
  const base = name.split(/[\\/]/).pop()!.replace(/[.\s]+$/u, '').toLowerCase();
  return base.split('.').slice(1).map((extension) => extension.trim());
}

/** A problem with the name (or announced media type) of an attachment or an archive entry. */
export function nameProblem(name: string | undefined, mediaType?: string): AttachmentProblem | undefined {
  if (mediaType && DANGEROUS_MEDIA_TYPES.has(mediaType.toLowerCase())) {
    return { symbol: 'DANGEROUS_ATTACHMENT', reason: `${name ?? 'an attachment'} is announced as an executable (${mediaType})` };
  }
  if (!name) return undefined;
  if (BIDI_CONTROLS.test(name)) {
    return { symbol: 'DISGUISED_NAME', reason: `the name of attachment ${JSON.stringify(name)} hides its real extension with bidirectional text controls` };
  }
  const extensions = extensionsOf(name);
  const last = extensions.at(-1);
  if (last === undefined || !DANGEROUS_EXTENSIONS.has(last)) return undefined;
  const previous = extensions.at(-2);
  if (previous !== undefined && DOCUMENT_EXTENSIONS.has(previous)) {
    return { symbol: 'DOUBLE_EXTENSION', reason: `${name} is a .${last} file disguised as a .${previous} (double extension)` };
  }
  return { symbol: 'DANGEROUS_ATTACHMENT', reason: `${name}: .${last} files (executables and scripts) are not sent` };
}

/** A problem with the first bytes of a file: an executable, whatever its name. */
export function contentProblem(name: string | undefined, head: Buffer): AttachmentProblem | undefined {
  const label = name ?? 'an attachment';
  if (isWindowsExecutable(head)) return { symbol: 'EXECUTABLE_CONTENT', reason: `${label} is a Windows executable` };
  if (head.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return { symbol: 'EXECUTABLE_CONTENT', reason: `${label} is an ELF executable` };
  const magic = head.length >= 4 ? head.readUInt32BE(0) : 0;
  if (magic === 0xcffaedfe || magic === 0xcefaedfe || magic === 0xfeedfacf || magic === 0xfeedface) return { symbol: 'EXECUTABLE_CONTENT', reason: `${label} is a Mach-O executable` };
  return undefined;
}

/** MZ, and the PE signature where the DOS header's e_lfanew points (a text that merely starts with "MZ" is not one). */
function isWindowsExecutable(head: Buffer): boolean {
  if (head.length < 64 || head[0] !== 0x4d || head[1] !== 0x5a) return false;
  const peOffset = head.readUInt32LE(0x3c);
  return peOffset + 4 <= head.length && head.subarray(peOffset, peOffset + 4).equals(Buffer.from('PE\0\0', 'latin1'));
}

/** Whether the file is an HTML document by name or media type (its forms are then checked). */
export function isHtml(name: string | undefined, mediaType?: string): boolean {
  return /\.(x?html?|shtml)$/i.test(name?.trim() ?? '') || mediaType === 'text/html' || mediaType === 'application/xhtml+xml';
}

/** An HTML attachment with a form: a page that asks for passwords and posts them elsewhere. */
export function htmlFormProblem(name: string | undefined, html: Buffer): AttachmentProblem | undefined {
  if (!/<form[\s>/]/i.test(html.toString('latin1'))) return undefined;
  return { symbol: 'HTML_FORM_ATTACHMENT', reason: `${name ?? 'an HTML attachment'} is an HTML page with a form (a common phishing lure); link to the page instead` };
}
