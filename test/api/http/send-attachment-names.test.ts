/**
 * Attachment file names of POST /v1/mail/send as they arrive: a non-ASCII or
 * long name goes out as RFC 2231 parameters only (filename*=utf-8''..., with
 * numbered sections for a long one), never as an RFC 2047 encoded word inside
 * a quoted parameter (RFC 2047 section 5 forbids it there), in both
 * Content-Disposition (filename) and Content-Type (name); mailparser reads
 * every name back unchanged.
 */
import assert from 'node:assert/strict';
import { message, sendAndReceive, type SendHarness, useSendHarness } from './send-harness.js';

/** The unfolded Content-Type and Content-Disposition lines of every part that names a file. */
function namingHeaders(raw: Buffer): string[] {
  const unfolded = raw.toString('latin1').replace(/\r\n[ \t]+/g, ' ');
  return unfolded.split('\r\n').filter((line) => /^Content-(Type|Disposition):.*\b(file)?name\*?[0-9*]*=/i.test(line));
}

/** The values of every name / filename parameter (plain, extended or a section) in a header line. */
function nameParameters(line: string): string[] {
  return [...line.matchAll(/;\s*((?:file)?name(?:\*\d+)?\*?)=("(?:[^"\\]|\\.)*"|[^;\s]*)/gi)].map((match) => `${match[1]}=${match[2]}`);
}

describe('POST /v1/mail/send: attachment file names (RFC 2231)', () => {
  let harness: SendHarness;
  const setUp = useSendHarness((started) => (harness = started));

  const SHORT = 'Grüße aus Köln.txt';
  const LONG = 'Отчёт о продажах за первый квартал две тысячи двадцать шестого года — окончательная версия.pdf';
  const PLAIN = 'report 2026; final.csv';
  const LONG_ASCII = `${'quarterly-figures-'.repeat(8)}final.xlsx`;

  it('writes non-ASCII names as filename*= / name*= (continued when long), and mailparser reads them back', async () => {
    await setUp();
    const names = [SHORT, LONG, PLAIN, LONG_ASCII];
    const attachments = names.map((filename) => ({ filename, content: Buffer.from(filename).toString('base64') }));
    const { parsed, received } = await sendAndReceive(harness, message({ attachments }));
    assert.deepEqual(parsed.attachments.map((attachment) => attachment.filename), names);

    const lines = namingHeaders(received.raw);
    assert.equal(lines.length, 8, lines.join('\n'));
    for (const line of lines) {
      for (const parameter of nameParameters(line)) assert.doesNotMatch(parameter, /=\?/, `an encoded word in a parameter: ${line}`);
    }
    const [shortType, shortDisposition, longType, longDisposition, plainType, plainDisposition, asciiType, asciiDisposition] = lines as string[] as [string, string, string, string, string, string, string, string];
    // one section: the plain extended form, not a lone *0* section
    assert.match(shortDisposition, /; filename\*=utf-8''Gr%C3%BC%C3%9Fe%20aus%20K%C3%B6ln\.txt$/i);
    assert.match(shortType, /; name\*=utf-8''Gr%C3%BC%C3%9Fe%20aus%20K%C3%B6ln\.txt$/i);
    // a long name in numbered sections, the first carrying the charset
    assert.match(longDisposition, /; filename\*0\*=utf-8''%D0%9E.*; filename\*1\*=%/i);
    assert.match(longType, /; name\*0\*=utf-8''%D0%9E.*; name\*1\*=%/i);
    assert.match(plainDisposition, /; filename="report 2026; final\.csv"$/);
    assert.match(plainType, /; name="report 2026; final\.csv"$/);
    // a long ASCII name in plain sections too, so no header line runs past 78 characters
    assert.match(asciiDisposition, /; filename\*0=quarterly-figures-.*; filename\*1=/);
    assert.match(asciiType, /; name\*0=quarterly-figures-.*; name\*1=/);
    const folded = received.raw.toString('latin1').match(/^Content-(Type|Disposition):.*(\r\n[ \t].*)*/gm)!.flatMap((header) => header.split('\r\n'));
    assert.ok(folded.every((line) => line.length <= 78), folded.filter((line) => line.length > 78).join('\n'));
  });
});
