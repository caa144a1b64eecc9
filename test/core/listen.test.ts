/**
 * A listener that cannot bind stops the start with one line naming the port
 * and the variable to change.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { isOutpostError } from '../../core/errors.js';
import { startOutpost } from '../support/outpost.js';

describe('binding listeners', () => {
  it('fails the start with a one-line error naming the busy port and OUTPOST_HTTP_PORT', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      await assert.rejects(
        startOutpost({ dnsAddress: '127.0.0.1:53', deliveryPort: 25, env: { OUTPOST_HTTP_PORT: String(port) } }),
        (error: unknown) => {
          assert.ok(isOutpostError(error, 'port_unavailable'));
          assert.equal(error.message, `cannot listen on 127.0.0.1:${port}: address already in use; set OUTPOST_HTTP_PORT to a free port (or off to disable it)`);
          assert.doesNotMatch(error.message, /\n/);
          return true;
        },
      );
    } finally {
      squatter.close();
    }
  });
});
