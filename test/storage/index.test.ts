// openStore: backend selection by URL scheme.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { openStore, parseEtcdEndpoints } from '../../src/storage/index.js';
import { MemoryStore } from '../../src/storage/memory.js';
import { SqliteStore } from '../../src/storage/sqlite.js';

test('memory:// opens an in-memory store', async () => {
  const s = await openStore('memory://');
  assert.ok(s instanceof MemoryStore);
  await s.close();
});

test('sqlite:// accepts absolute and relative paths and creates parent directories', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-open-'));
  try {
    const abs = join(dir, 'a', 'b', 'state.db');
    const s1 = await openStore(`sqlite://${abs}`);
    assert.ok(s1 instanceof SqliteStore);
    assert.equal(s1.path, abs);
    await s1.create('/k', 'v');
    await s1.close();
    assert.ok(existsSync(abs));

    const rel = relative(process.cwd(), join(dir, 'rel', 'state.db'));
    assert.ok(!rel.startsWith('/'));
    const s2 = await openStore(`sqlite://${rel}`);
    assert.equal((s2 as SqliteStore).path, join(dir, 'rel', 'state.db'));
    await s2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown schemes and malformed URLs get a clear error', async () => {
  await assert.rejects(openStore('postgres://db:5432/skiff'), /unsupported datastore URL.*memory:\/\/.*sqlite:\/\/.*etcd:\/\//);
  await assert.rejects(openStore('/var/lib/state.db'), /unsupported datastore URL/);
  await assert.rejects(openStore('sqlite://'), /no file path/);
  await assert.rejects(openStore('https://127.0.0.1:2379'), /TLS is not supported/);
});

test('etcd endpoints parse from etcd:// and http:// lists', () => {
  assert.deepEqual(parseEtcdEndpoints('etcd://10.0.0.1:2379,10.0.0.2:2379'), ['10.0.0.1:2379', '10.0.0.2:2379']);
  assert.deepEqual(parseEtcdEndpoints('http://a:2379,http://b:2379/'), ['a:2379', 'b:2379']);
  assert.deepEqual(parseEtcdEndpoints('etcd://[::1]:2379'), ['[::1]:2379']);
  assert.throws(() => parseEtcdEndpoints('etcd://'), /names no etcd endpoint/);
  assert.throws(() => parseEtcdEndpoints('etcd://host-without-port'), /not HOST:PORT/);
});
