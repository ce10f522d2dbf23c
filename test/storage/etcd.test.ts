// The store contract against a REAL etcd server (Debian's etcd-server, started per test file),
// plus the etcd-only promise that connection failures surface as Unavailable.

import assert from 'node:assert/strict';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { EtcdStore } from '../../src/storage/etcd.js';
import { openStore } from '../../src/storage/index.js';
import { startEtcd, type EtcdServer } from '../helpers/etcd.js';
import { storeContract } from './contract.js';
import { Collector, rejectsWith, uniquePrefix } from './contract-helpers.js';
import { isStoreError } from '../../src/storage/store.js';

/** A TCP proxy whose connections the test can cut (and refuse) to break client streams. */
async function startProxy(target: string): Promise<{ endpoint: string; cut(): void; heal(): void; close(): Promise<void> }> {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((down) => {
    if (refusing) return down.destroy();
    const up = connect(Number(port), host);
    for (const sock of [down, up]) {
      sockets.add(sock);
      sock.on('error', () => {});
      sock.on('close', () => {
        sockets.delete(sock);
        down.destroy();
        up.destroy();
      });
    }
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as AddressInfo;
  return {
    endpoint: `127.0.0.1:${addr.port}`,
    cut() {
      refusing = true;
      for (const sock of sockets) sock.destroy();
    },
    heal() {
      refusing = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const sock of sockets) sock.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Right after a restart the client may still see the old connection as broken. */
async function retryUnavailable<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isStoreError(err, 'Unavailable') || attempt >= 50) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

let server: Promise<EtcdServer> | undefined;
// Started on first use, so a missing etcd fails every test with startEtcd's install hint.
const etcd = (): Promise<EtcdServer> => (server ??= startEtcd());

storeContract(
  'etcd',
  async () => new EtcdStore({ endpoints: [(await etcd()).endpoint] }),
  async () => {
    if (server) await (await server.catch(() => undefined))?.stop();
  },
);

describe('etcd store: connection failures', () => {
  test('openStore reaches etcd through etcd:// and http:// URLs', async () => {
    const own = await startEtcd();
    try {
      for (const url of [`etcd://${own.endpoint}`, `http://${own.endpoint}`]) {
        const s = await openStore(url);
        try {
          const kv = await s.create(`${uniquePrefix()}k`, url);
          assert.deepEqual(await s.get(kv.key), kv);
        } finally {
          await s.close();
        }
      }
    } finally {
      await own.stop();
    }
  });

  test('a stopped etcd makes requests and watches fail with Unavailable', async () => {
    const own = await startEtcd();
    const s = new EtcdStore({ endpoints: [own.endpoint], callTimeoutMs: 2000, watchRetryWindowMs: 1000 });
    try {
      const p = uniquePrefix();
      const w = new Collector(s, p, await s.currentRevision());
      await s.create(`${p}k`, 'v');
      await w.untilKey(`${p}k`);
      await own.stop();
      await rejectsWith(s.get(`${p}k`), 'Unavailable');
      await rejectsWith(s.create(`${p}other`, 'v'), 'Unavailable');
      assert.equal((await w.failure(15_000)).code, 'Unavailable');
    } finally {
      await s.close();
      await own.stop();
    }
  });

  test('a watch survives an etcd restart without gaps or duplicates', async () => {
    const own = await startEtcd();
    const s = new EtcdStore({ endpoints: [own.endpoint] });
    let writer: EtcdStore | undefined;
    try {
      const p = uniquePrefix();
      const w = new Collector(s, p, await s.currentRevision());
      await s.create(`${p}before`, '1');
      await w.untilKey(`${p}before`);
      await own.restart();
      // A fresh client writes at once, while the watching client is still backing off its
      // reconnect: the watch must resume from its last revision, not from "now".
      writer = new EtcdStore({ endpoints: [own.endpoint] });
      const during = await retryUnavailable(() => (writer as EtcdStore).create(`${p}during`, '2'));
      const after = await retryUnavailable(() => s.create(`${p}after`, '3'));
      await w.untilKey(`${p}after`, 20_000);
      assert.deepEqual(w.events.map((ev) => (ev.type === 'put' ? ev.kv.key : ev.key)), [`${p}before`, `${p}during`, `${p}after`]);
      assert.deepEqual(w.events.slice(1).map((ev) => (ev.type === 'put' ? ev.kv : undefined)), [during, after]);
      assert.equal(w.error, undefined);
    } finally {
      await writer?.close();
      await s.close();
      await own.stop();
    }
  });

  test('a broken watch stream resumes from its last revision', async () => {
    const own = await startEtcd();
    const proxy = await startProxy(own.endpoint);
    // The watcher reaches etcd through a proxy the test can cut; the writer connects directly.
    const watcher = new EtcdStore({ endpoints: [proxy.endpoint] });
    const writer = new EtcdStore({ endpoints: [own.endpoint] });
    try {
      const p = uniquePrefix();
      const w = new Collector(watcher, p, await writer.currentRevision());
      await writer.create(`${p}1`, '1');
      await w.untilKey(`${p}1`);
      proxy.cut();
      const missed = [await writer.create(`${p}2`, '2'), await writer.create(`${p}3`, '3')];
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy.heal();
      const live = await writer.create(`${p}4`, '4');
      await w.untilKey(`${p}4`, 20_000);
      assert.deepEqual(w.events.slice(1).map((ev) => (ev.type === 'put' ? ev.kv : undefined)), [...missed, live]);
      assert.equal(w.error, undefined);
    } finally {
      await watcher.close();
      await writer.close();
      await proxy.close();
      await own.stop();
    }
  });

  test('openStore fails with Unavailable when nothing listens', async () => {
    const err = await rejectsWith(openStore('etcd://127.0.0.1:1'), 'Unavailable');
    assert.match(err.message, /127\.0\.0\.1:1/);
  });
});
