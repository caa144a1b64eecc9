// Tests core/health.ts failingParts: which parts /health names as down, from their observed state.
import assert from 'node:assert/strict';
import { failingParts } from '../../core/health.js';

const spoolUp = { open: true, writesFailing: false };

describe('failingParts', () => {
  it('is empty when every enabled listener listens and the spool takes writes', () => {
    assert.deepEqual(failingParts({ listeners: { http: { listening: true }, submission: { listening: true } }, spool: spoolUp }), []);
  });

  it('ignores listeners disabled with off', () => {
    assert.deepEqual(failingParts({ listeners: { http: undefined, mx: { listening: true } }, spool: spoolUp }), []);
  });

  it('names each enabled listener that is not listening, in order', () => {
    const listeners = { http: { listening: false }, submission: { listening: true }, mx: { listening: false } };
    assert.deepEqual(failingParts({ listeners, spool: spoolUp }), ['http', 'mx']);
  });

  it('names the spool when it is not open or its last write failed', () => {
    const listeners = { http: { listening: true } };
    assert.deepEqual(failingParts({ listeners, spool: { open: false, writesFailing: false } }), ['spool']);
    assert.deepEqual(failingParts({ listeners, spool: { open: true, writesFailing: true } }), ['spool']);
    assert.deepEqual(failingParts({ listeners: { http: { listening: false } }, spool: { open: false, writesFailing: true } }), ['http', 'spool']);
  });
});
