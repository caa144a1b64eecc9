// Tests core/pipeline/line-endings.ts replaceStrayCrLf: stray CR/LF repair and the CRLF-only invariant.
import assert from 'node:assert/strict';
import { replaceStrayCrLf } from '../../../core/receive/line-endings.js';
import { seededRandom } from '../../support/seeded-random.js';

const fix = (text: string): string => replaceStrayCrLf(Buffer.from(text, 'latin1')).toString('latin1');

/** Every CR is followed by LF and every LF is preceded by CR. */
function onlyCrLfPairs(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a) return false;
    if (bytes[i] === 0x0a && bytes[i - 1] !== 0x0d) return false;
  }
  return true;
}

describe('replaceStrayCrLf', () => {
  it('returns clean input as the same Buffer instance', () => {
    for (const text of ['', 'hello', 'a\r\nb\r\n', '\r\n.\r\n', 'Subject: x\r\n\r\nbody\r\n']) {
      const input = Buffer.from(text, 'latin1');
      assert.equal(replaceStrayCrLf(input), input, JSON.stringify(text));
    }
  });

  it('turns a bare LF into CRLF', () => {
    assert.equal(fix('a\nb'), 'a\r\nb');
    assert.equal(fix('\n'), '\r\n');
    assert.equal(fix('a\n\nb\n'), 'a\r\n\r\nb\r\n');
  });

  it('turns a bare CR into a space', () => {
    assert.equal(fix('a\rb'), 'a b');
    assert.equal(fix('\r'), ' ');
    assert.equal(fix('a\r\rb'), 'a  b');
  });

  it('closes the "\\n.\\r\\n" smuggling hole: it becomes a dot-line that dot-stuffing escapes', () => {
    assert.equal(fix('body\n.\r\nMAIL FROM:<x@evil.test>\r\n'), 'body\r\n.\r\nMAIL FROM:<x@evil.test>\r\n');
    assert.equal(fix('\n.\r\n'), '\r\n.\r\n');
  });

  it('handles "\\r\\n.\\r" and "\\r.\\n" variants', () => {
    assert.equal(fix('a\r\n.\rb'), 'a\r\n. b');
    assert.equal(fix('a\r.\nb'), 'a .\r\nb');
  });

  it('leaves "\\r\\n\\x00.\\r\\n" unchanged (NUL is not a line end)', () => {
    const input = Buffer.from('x\r\n\x00.\r\ny', 'latin1');
    const output = replaceStrayCrLf(input);
    assert.equal(output, input);
    assert.equal(output.toString('latin1'), 'x\r\n\x00.\r\ny');
  });

  it('fixes mixed line ends, keeping the CRLF pairs that are already right', () => {
    assert.equal(fix('a\r\nb\nc\rd\r\n\n\re'), 'a\r\nb\r\nc d\r\n\r\n e');
    assert.equal(fix('\n\r'), '\r\n ');
    assert.equal(fix('\r\r\n'), ' \r\n');
  });

  it('does not touch other bytes, including 8-bit ones', () => {
    const input = Buffer.from([0xc3, 0xa9, 0x0a, 0xff, 0x00, 0x0d]);
    assert.deepEqual([...replaceStrayCrLf(input)], [0xc3, 0xa9, 0x0d, 0x0a, 0xff, 0x00, 0x20]);
  });

  it('never leaves a CR without LF or an LF without CR (random buffers)', () => {
    const random = seededRandom(0x5eed);
    const alphabet = [0x0d, 0x0a, 0x2e, 0x41];
    for (let run = 0; run < 500; run++) {
      const length = Math.floor(random() * 40);
      const input = Buffer.from(Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]!));
      const copy = Buffer.from(input);
      const output = replaceStrayCrLf(input);
      const context = `input ${JSON.stringify(input.toString('latin1'))}`;
      assert.ok(onlyCrLfPairs(output), context);
      assert.deepEqual(input, copy, `input was modified: ${context}`);
      // idempotent, and clean output comes back as is
      assert.equal(replaceStrayCrLf(output), output, context);
      // non-line-end bytes survive in order; each stray CR became a space
      const strip = (bytes: Buffer) => [...bytes].filter((byte) => byte !== 0x0d && byte !== 0x0a && byte !== 0x20);
      assert.deepEqual(strip(output), strip(input), context);
      // one CRLF per LF in the input, plus the CRLF pairs already there
      const lfs = [...input].filter((byte) => byte === 0x0a).length;
      const pairs = output.toString('latin1').split('\r\n').length - 1;
      assert.equal(pairs, lfs, context);
    }
  });
});
