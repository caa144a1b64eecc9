// Tests core/receive/validate.ts's author check with no plugin loaded: one From as RFC 5322 readers
// find it (obsolete "From :" included, never hidden as an mbox line), one mailbox or a Sender, at most one Sender.
import assert from 'node:assert/strict';
import { isOutpostError } from '../../../core/errors.js';
import { PipelineMessage } from '../../../core/message.js';
import { HookRegistry } from '../../../core/plugins/hooks.js';
import { validateStage } from '../../../core/receive/validate.js';

function pipelineMessage(headerLines: string[], encoding: BufferEncoding): PipelineMessage {
  const raw = Buffer.from([...headerLines, 'To: user@dest.test', 'Subject: hi', '', 'Hello.', ''].join('\r\n'), encoding);
  return new PipelineMessage('m1', { from: 'news@acme.test', to: ['user@dest.test'], raw, source: 'internal' }, Date.now());
}

/** The message_invalid text validateStage refuses the message with, or undefined when it passes. */
async function refusal(headerLines: string[], encoding: BufferEncoding = 'utf8'): Promise<string | undefined> {
  try {
    await validateStage(pipelineMessage(headerLines, encoding), new HookRegistry(1000), { maxMessageBytes: 1_000_000 });
    return undefined;
  } catch (error) {
    assert.ok(isOutpostError(error, 'message_invalid'), String(error));
    return error.message;
  }
}

describe('validateStage: the author check (no plugins)', () => {
  it('refuses a message without From (the check once left to a plugin that can be disabled)', async () => {
    assert.match((await refusal(['Reply-To: news@acme.test']))!, /^the message has no From field; give exactly one From header/);
  });

  it('counts "From :" as a From, on the first line too, where mailsplit sees an mbox separator', async () => {
    assert.match((await refusal(['From : ceo@other.test', 'From: news@acme.test']))!, /^the message has 2 From fields \("ceo@other\.test", "news@acme\.test"\)/);
    assert.match((await refusal(['From: news@acme.test', 'FROM\t: ceo@other.test']))!, /^the message has 2 From fields/);
    // alone and below the first line, every parser reads it as the one From it is
    assert.equal(await refusal(['Date: Mon, 2 Mar 2026 09:00:00 +0000', 'From : news@acme.test']), undefined);
  });

  it('refuses a lone first-line "From :" that mailsplit would hide from every plugin', async () => {
    assert.match((await refusal(['From : news@acme.test']))!, /^header field 1 is read differently by mail parsers/);
  });

  it('refuses lines that are no field: an mbox separator, a keyless line, an indented first line', async () => {
    assert.match((await refusal(['From news@acme.test Mon Mar  2 09:00:00 2026', 'From: news@acme.test']))!, /^header line 1 \("From news@acme\.test Mon Mar {2}2 09:00:00 2026"\) is not a header field/);
    assert.match((await refusal(['From: news@acme.test', 'garbage']))!, /^header line 2 \("garbage"\) is not a header field/);
    assert.match((await refusal([' From: news@acme.test']))!, /^header line 1 .* is not a header field/);
  });

  it('refuses several From mailboxes without a Sender, two Senders, and a Sender naming two', async () => {
    assert.match((await refusal(['From: news@acme.test, sales@acme.test']))!, /^the From header names 2 mailboxes and there is no Sender header/);
    assert.match((await refusal(['From: news@acme.test', 'Sender: news@acme.test', 'Sender: sales@acme.test']))!, /^the message has 2 Sender fields/);
    assert.match((await refusal(['From: news@acme.test', 'Sender: news@acme.test, sales@acme.test']))!, /^the Sender header names 2 mailboxes/);
    assert.equal(await refusal(['From: News <news@acme.test>, sales@acme.test', 'Sender: news@acme.test']), undefined);
  });

  it('refuses a From or Sender the one address parser refuses, naming the field', async () => {
    assert.match((await refusal(['From: Sales <ceo@other.test@acme.test>']))!, /^From: "ceo@other\.test@acme\.test" has a local part Outpost does not accept/);
    assert.match((await refusal(['From: ceo@other.test <news@acme.test>']))!, /^From: .* is not a list of mailboxes RFC 5322 can read/);
    assert.match((await refusal(['From:']))!, /^From: the value names no address/);
    assert.match((await refusal(['From: news@acme.test', 'Sender: Team: news@acme.test;']))!, /^Sender: .* is a group/);
  });

  it('refuses a From holding bytes that are not UTF-8 (a Latin-1 reader would find another address)', async () => {
    assert.match((await refusal(['From: Jörg <jörg@acme.test>'], 'latin1'))!, /^the From header holds bytes that are not UTF-8/);
    assert.equal(await refusal(['From: Jörg <jörg@acme.test>']), undefined);
  });
});
