/**
 * "The first account to verify owns the domain" holds however the store is
 * shared: of many accounts taking one domain at once, exactly one wins, on the
 * embedded LevelDB store, on Redis, through workers that reach the primary's
 * store over IPC, and between two Outpost nodes verifying at the same moment.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { DomainOwners } from '../../../core/domains/ownership.js';
import { Spool } from '../../../core/spool/spool.js';
import { LevelSharedStore } from '../../../core/store/level-shared-store.js';
import { RedisSharedStore } from '../../../core/store/redis-shared-store.js';
import type { SharedStore } from '../../../core/store/shared-store.js';
import { IpcSharedStore, serveSharedStore } from '../../../core/workers/ipc-shared-store.js';
import { RpcChannel, type IpcPort } from '../../../core/workers/rpc.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { publishRecords } from '../../support/domains.js';
import { createAccount, request } from '../../support/http.js';
import { startOutpost, type TestOutpost } from '../../support/outpost.js';

const REDIS_URL = process.env.OUTPOST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONTENDERS = 25;

async function removeNamespace(namespace: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${namespace}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

/** Two ends of an in-memory IPC link; messages are copied as the structured clone a real channel makes. */
function portPair(): [IpcPort, IpcPort] {
  const ends = [new EventEmitter(), new EventEmitter()] as const;
  const port = (own: EventEmitter, other: EventEmitter): IpcPort => ({
    send(message: unknown) {
      const copy = structuredClone(message);
      setImmediate(() => other.emit('message', copy));
      return true;
    },
    on(event: string, listener: (message: unknown) => void) {
      return own.on(event, listener);
    },
  });
  return [port(ends[0], ends[1]), port(ends[1], ends[0])];
}

/** `count` worker views of `store`, served as the primary serves its workers. */
function ipcWorkers(store: SharedStore, count: number): IpcSharedStore[] {
  const primarySides: RpcChannel[] = [];
  return Array.from({ length: count }, () => {
    const [primaryPort, workerPort] = portPair();
    const primary = new RpcChannel(primaryPort, 5000);
    primarySides.push(primary);
    serveSharedStore(primary, store, (change) => primarySides.forEach((side) => side.notify('store:changed', change)));
    return new IpcSharedStore(new RpcChannel(workerPort, 5000));
  });
}

/** Every contender takes the domain at once; then ownership moves only by release. */
async function assertOneOwner(storeFor: (contender: number) => SharedStore): Promise<void> {
  const owners = (contender: number) => new DomainOwners(storeFor(contender));
  const taken = await Promise.all(Array.from({ length: CONTENDERS }, (_, contender) => owners(contender).take('acme.test', `account-${contender}`)));
  assert.equal(taken.filter(Boolean).length, 1, `exactly one winner: ${JSON.stringify(taken)}`);
  const winner = taken.indexOf(true);
  const loser = (winner + 1) % CONTENDERS;
  assert.equal(await owners(loser).isOwned('acme.test'), true);
  assert.equal(await owners(loser).take('acme.test', `account-${winner}`), true, 'the owner taking it again keeps it');
  assert.equal(await owners(loser).take('acme.test', `account-${loser}`), false);

  await owners(loser).release('acme.test', `account-${loser}`);
  assert.equal(await owners(winner).take('acme.test', `account-${loser}`), false, 'only the owner releases');
  await owners(winner).release('acme.test', `account-${winner}`);
  assert.equal(await owners(loser).isOwned('acme.test'), false);
  assert.equal(await owners(loser).take('acme.test', `account-${loser}`), true, 'released, it goes to the next to take it');
}

describe('domain ownership in the shared store', () => {
  describe('embedded LevelDB', () => {
    let directory: string;
    let spool: Spool;
    let store: LevelSharedStore;

    beforeEach(async () => {
      directory = await mkdtemp(path.join(tmpdir(), 'outpost-ownership-'));
      spool = await Spool.open(directory);
      store = new LevelSharedStore(spool.db, spool.committer);
    });
    afterEach(async () => {
      await store.close();
      await spool.close();
      await rm(directory, { recursive: true, force: true });
    });

    it('gives a domain to exactly one of many accounts taking it at once', () => assertOneOwner(() => store));

    it('does so through workers reaching the primary\'s store over IPC, each with its own read cache', async () => {
      const workers = ipcWorkers(store, 3);
      // every worker has cached "no owner" before the race
      for (const worker of workers) assert.equal(await new DomainOwners(worker).isOwned('acme.test'), false);
      await assertOneOwner((contender) => workers[contender % workers.length]!);
    });
  });

  describe('Redis (cluster mode)', () => {
    let namespace: string;
    const stores: RedisSharedStore[] = [];

    beforeEach(async () => {
      namespace = `outpost-test-${randomBytes(6).toString('hex')}`;
      for (let node = 0; node < 3; node++) stores.push(await RedisSharedStore.connect(REDIS_URL, pino({ level: 'silent' }), namespace));
    });
    afterEach(async () => {
      for (const store of stores.splice(0)) await store.close();
      await removeNamespace(namespace);
    });

    it('gives a domain to exactly one of many accounts taking it at once from several nodes', () => assertOneOwner((contender) => stores[contender % stores.length]!));

    describe('two Outpost nodes', () => {
      let dns: TestDnsServer;
      const nodes: TestOutpost[] = [];

      afterEach(async () => {
        for (const node of nodes.splice(0)) await node.close();
        await dns.close();
      });

      it('let exactly one of two accounts verifying one domain at the same moment, on different nodes, own it', async () => {
        dns = await startDnsServer({});
        const env = { OUTPOST_REDIS_URL: REDIS_URL, OUTPOST_REDIS_NAMESPACE: namespace, OUTPOST_SENDING_IPS: '203.0.113.7', OUTPOST_SECRET_KEY: randomBytes(32).toString('hex') };
        for (let node = 0; node < 2; node++) nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: 25, env }));
        const accounts = [await createAccount(nodes[0]!.outpost, 'first'), await createAccount(nodes[1]!.outpost, 'second')];
        for (const [index, account] of accounts.entries()) {
          const added = await request<{ status: string; dns_records: { type: 'TXT' | 'MX'; name: string; value: string }[] }>(nodes[index]!.outpost, 'POST', '/v1/domains', { key: account.apiKey, json: { domain: 'acme.test' } });
          assert.equal(added.status, 201, JSON.stringify(added.body));
          publishRecords(dns, added.body);
        }
        const answers = await Promise.all(accounts.map((account, index) => request<{ status?: string; code?: string }>(nodes[index]!.outpost, 'POST', '/v1/domains/acme.test/verify', { key: account.apiKey })));
        assert.deepEqual(answers.map((answer) => answer.body.status ?? answer.body.code).sort(), ['domain_verified_elsewhere', 'verified'], JSON.stringify(answers.map((answer) => answer.body)));
      });
    });
  });
});
