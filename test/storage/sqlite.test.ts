// The store contract against the SQLite backend, plus what only a file-backed store promises:
// data and the revision counter survive close and reopen, and one process owns the file.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SqliteStore } from '../../src/storage/sqlite.js';
import { StoreError } from '../../src/storage/store.js';
import { storeContract } from './contract.js';
import { Collector, rejectsWith } from './contract-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-test-'));
let n = 0;

storeContract('sqlite', async () => new SqliteStore(join(dir, `contract-${n++}.db`)), async () => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sqlite store persistence', () => {
  const pdir = mkdtempSync(join(tmpdir(), 'skiff-sqlite-persist-'));
  after(() => rmSync(pdir, { recursive: true, force: true }));

  test('data, history and the revision survive close and reopen', async () => {
    const path = join(pdir, 'nested', 'dir', 'state.db'); // parent directories are created
    const s1 = new SqliteStore(path);
    const a = await s1.create('/a', 'a1');
    const a2 = await s1.update('/a', 'a2', a.modRevision);
    const b = await s1.create('/b', 'b1');
    const del = await s1.delete('/b');
    await s1.compact(a2.modRevision);
    await s1.close();

    const s2 = new SqliteStore(path);
    try {
      assert.equal(await s2.currentRevision(), del.revision);
      assert.equal(await s2.compactedRevision(), a2.modRevision);
      assert.deepEqual(await s2.get('/a'), a2);
      assert.equal(await s2.get('/b'), undefined);
      assert.deepEqual((await s2.range('/', { revision: b.modRevision })).kvs, [a2, b]);
      await rejectsWith(s2.range('/', { revision: a.modRevision }), 'Compacted');
      const c = await s2.create('/c', 'c1');
      assert.equal(c.modRevision, del.revision + 1, 'the revision continues after reopen');
      const w = new Collector(s2, '/', a2.modRevision);
      await w.untilKey('/c');
      assert.deepEqual(w.events.map((ev) => ev.type), ['put', 'delete', 'put']);
      w.close();
    } finally {
      await s2.close();
    }
  });

  test('the revision continues even when compaction removed the newest rows', async () => {
    const path = join(pdir, 'compacted.db');
    const s1 = new SqliteStore(path);
    await s1.create('/x', '1');
    const del = await s1.delete('/x'); // the newest row is a tombstone, which compaction removes
    await s1.compact(del.revision);
    await s1.close();
    const s2 = new SqliteStore(path);
    try {
      assert.equal(await s2.currentRevision(), del.revision);
      assert.equal((await s2.create('/x', '2')).createRevision, del.revision + 1);
    } finally {
      await s2.close();
    }
  });

  test('one store owns the file: a second open fails with Unavailable', async () => {
    const path = join(pdir, 'owned.db');
    const s1 = new SqliteStore(path);
    try {
      await s1.create('/k', 'v');
      assert.throws(() => new SqliteStore(path), (err: unknown) => {
        assert.ok(err instanceof StoreError && err.code === 'Unavailable');
        assert.match(err.message, /in use/);
        return true;
      });
    } finally {
      await s1.close();
    }
    const s2 = new SqliteStore(path); // released on close
    assert.equal((await s2.get('/k'))?.value, 'v');
    await s2.close();
  });

  test('writes queued when the store closes are committed, not dropped', async () => {
    const path = join(pdir, 'close.db');
    const s1 = new SqliteStore(path);
    const pending = Array.from({ length: 20 }, (_, i) => s1.create(`/k${i}`, `${i}`));
    await s1.close();
    assert.equal((await Promise.all(pending)).length, 20);
    const s2 = new SqliteStore(path);
    try {
      assert.equal(await s2.count('/'), 20);
    } finally {
      await s2.close();
    }
  });

  test('every acknowledged write survives kill -9 of the process', async () => {
    const path = join(pdir, 'killed.db');
    const module = join(import.meta.dirname, '..', '..', 'src', 'storage', 'sqlite.js');
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(module)});
      const s = new SqliteStore(${JSON.stringify(path)});
      for (let i = 0; ; i++) {
        await Promise.all([s.create('/k/' + i + 'a', 'x'.repeat(500)), s.create('/k/' + i + 'b', 'y')]);
        process.stdout.write('acked ' + i + '\\n');
      }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if ((out.match(/acked/g)?.length ?? 0) >= 300) resolve();
      });
      child.once('exit', () => reject(new Error(`writer exited early: ${err}`)));
    });
    child.kill('SIGKILL');
    await exited;
    const acked = Math.max(...[...out.matchAll(/acked (\d+)/g)].map((m) => Number(m[1])));
    const s = new SqliteStore(path);
    try {
      for (let i = 0; i <= acked; i++) {
        assert.ok(await s.get(`/k/${i}a`), `acknowledged /k/${i}a is there`);
        assert.ok(await s.get(`/k/${i}b`), `acknowledged /k/${i}b is there`);
      }
      assert.ok((await s.create('/after', 'v')).modRevision > 2 * (acked + 1), 'the revision continues');
    } finally {
      await s.close();
    }
  });

  test('the WAL is checkpointed once it passes checkpointBytes', async () => {
    const path = join(pdir, 'checkpoint.db');
    const s = new SqliteStore(path, { checkpointBytes: 256 * 1024 });
    try {
      for (let i = 0; i < 400; i++) await s.create(`/c/${i}`, 'z'.repeat(2000));
      assert.ok(statSync(`${path}-wal`).size < 1024 * 1024, `the WAL stays near its limit (${statSync(`${path}-wal`).size} bytes after ~800 KB written)`);
      assert.equal(await s.count('/c/'), 400);
    } finally {
      await s.close();
    }
    const again = new SqliteStore(path);
    try {
      assert.equal(await again.count('/c/'), 400);
    } finally {
      await again.close();
    }
  });
});
