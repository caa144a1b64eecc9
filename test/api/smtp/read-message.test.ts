/**
 * readMessage on its own, fed the way smtp-server feeds it (a PassThrough):
 * the message comes out without its X-Outpost-* headers, a problem is answered
 * only after the whole DATA was read, and a stream that closes before its end
 * is an interruption, not a message and not a hang.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { isOutpostError } from '../../../core/errors.js';
import { DataInterruptedError, readMessage } from '../../../api/smtp/read-message.js';

const LIMITS = { maxMessageBytes: 64 * 1024, maxLineBytes: 998, maxHeaderBytes: 2048 };

describe('readMessage', () => {
  it('returns the message without its X-Outpost-* headers, whatever the chunking', async () => {
    const data = new PassThrough();
    const reading = readMessage(data, LIMITS);
    const message = 'From: a@acme.test\r\nX-Outpost-Tags: welcome\r\nSubject: hi\r\n\r\nbody\r\n';
    for (const character of message) data.write(character);
    data.end();
    const received = await reading;
    assert.equal(received.raw.toString(), 'From: a@acme.test\r\nSubject: hi\r\n\r\nbody\r\n');
    assert.deepEqual(received.tags, ['welcome']);
    assert.equal(received.receivedBytes, message.length);
  });

  it('reads a refused message to its end before answering', async () => {
    const data = new PassThrough();
    let settled = false;
    const reading = readMessage(data, LIMITS).finally(() => (settled = true));
    data.write(`From: a@acme.test\r\n${'X-Filler: abc\r\n'.repeat(200)}\r\nbody`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(settled, false, 'no answer while the client is still sending');
    data.write('more body\r\n'.repeat(100));
    data.end();
    await assert.rejects(reading, (error: unknown) => isOutpostError(error, 'message_too_large'));
  });

  it('rejects with DataInterruptedError when the stream closes before its end', async () => {
    const data = new PassThrough();
    const reading = readMessage(data, LIMITS);
    data.write('From: a@acme.test\r\nSubject: cut\r\n\r\nhalf a bo');
    await new Promise((resolve) => setImmediate(resolve));
    data.destroy();
    await assert.rejects(reading, DataInterruptedError);
  });

  it('rejects with DataInterruptedError when the stream fails', async () => {
    const data = new PassThrough();
    const reading = readMessage(data, LIMITS);
    data.write('From: a@acme.test\r\n');
    data.destroy(new Error('socket reset'));
    await assert.rejects(reading, /the client left during DATA: socket reset/);
  });
});
