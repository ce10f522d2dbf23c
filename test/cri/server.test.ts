// The CRI server's cross-cutting behaviour: UNIMPLEMENTED for RPCs without a handler, error →
// status mapping, cancellation reaching handlers, event streams, and the socket file's life.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CriClient } from '../../src/cri/client.js';
import { CriError, GrpcStatus } from '../../src/cri/errors.js';
import { startCriServer, type CriCallRecord } from '../../src/cri/server.js';
import { eventually } from '../helpers/eventually.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-cri-srv-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, code: GrpcStatus, message?: string | RegExp): Promise<CriError> {
  const err = await p.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CriError, `expected a CriError, got ${String(err)}`);
  assert.equal(err.code, code, `code ${err.codeName}: ${err.message}`);
  if (typeof message === 'string') assert.equal(err.message, message);
  else if (message) assert.match(err.message, message);
  return err;
}

test('RPCs without a handler answer UNIMPLEMENTED naming the method', async () => {
  const socket = join(dir, 'unimpl.sock');
  const server = await startCriServer({ socket, runtime: { Version: () => ({ runtime_name: 'skiff' }) } });
  const client = new CriClient(socket);
  try {
    assert.equal((await client.version()).runtime_name, 'skiff');
    await rejectsWith(client.checkpointContainer({ container_id: 'c1' }), GrpcStatus.UNIMPLEMENTED, 'runtime.v1.RuntimeService/CheckpointContainer is not implemented by skiff');
    await rejectsWith(client.pullImage({ image: { image: 'busybox' } }), GrpcStatus.UNIMPLEMENTED, 'runtime.v1.ImageService/PullImage is not implemented by skiff');
    const events = client.getContainerEvents();
    await rejectsWith(events.next(), GrpcStatus.UNIMPLEMENTED, 'runtime.v1.RuntimeService/GetContainerEvents is not implemented by skiff');
  } finally {
    client.close();
    await server.stop();
  }
});

test('thrown errors become gRPC statuses with their message; the log hook sees each call', async () => {
  const socket = join(dir, 'errors.sock');
  const calls: CriCallRecord[] = [];
  const server = await startCriServer({
    socket,
    log: (c) => calls.push(c),
    runtime: {
      PodSandboxStatus: (req) => {
        throw CriError.notFound(`pod sandbox "${req.pod_sandbox_id}" not found`);
      },
      StopContainer: () => {
        throw new Error('runc kill failed: exit status 1');
      },
      RemoveContainer: () => Promise.reject(Object.assign(new Error('x'), { code: GrpcStatus.FAILED_PRECONDITION, details: 'container is running' })),
      StartContainer: async () => {}, // empty response: returning nothing is allowed
    },
  });
  const client = new CriClient(socket);
  try {
    await rejectsWith(client.podSandboxStatus({ pod_sandbox_id: 'abc' }), GrpcStatus.NOT_FOUND, 'pod sandbox "abc" not found');
    await rejectsWith(client.stopContainer({ container_id: 'c' }), GrpcStatus.UNKNOWN, 'runc kill failed: exit status 1');
    const e = await rejectsWith(client.removeContainer({ container_id: 'c' }), GrpcStatus.FAILED_PRECONDITION, 'container is running');
    assert.equal(e.method, '/runtime.v1.RuntimeService/RemoveContainer');
    assert.equal(e.codeName, 'FAILED_PRECONDITION');
    assert.deepEqual(await client.startContainer({ container_id: 'c' }), {});
    assert.deepEqual(
      calls.map((c) => [c.method, c.code, c.message]),
      [
        ['/runtime.v1.RuntimeService/PodSandboxStatus', GrpcStatus.NOT_FOUND, 'pod sandbox "abc" not found'],
        ['/runtime.v1.RuntimeService/StopContainer', GrpcStatus.UNKNOWN, 'runc kill failed: exit status 1'],
        ['/runtime.v1.RuntimeService/RemoveContainer', GrpcStatus.FAILED_PRECONDITION, 'container is running'],
        ['/runtime.v1.RuntimeService/StartContainer', GrpcStatus.OK, undefined],
      ],
    );
  } finally {
    client.close();
    await server.stop();
  }
});

test('a deadline or an aborted signal cancels the call and aborts the handler signal', async () => {
  const socket = join(dir, 'deadline.sock');
  const aborted: string[] = [];
  const started = new Set<string>();
  const server = await startCriServer({
    socket,
    runtime: {
      // Never answers on its own: only cancellation ends it.
      ExecSync: (req, ctx) =>
        new Promise((_, reject) => {
          started.add(req.container_id);
          ctx.signal.addEventListener('abort', () => {
            aborted.push(req.container_id);
            reject(ctx.signal.reason);
          });
        }),
    },
  });
  const client = new CriClient(socket);
  try {
    await rejectsWith(client.execSync({ container_id: 'by-deadline' }, { timeoutMs: 300 }), GrpcStatus.DEADLINE_EXCEEDED);
    const ac = new AbortController();
    const p = client.execSync({ container_id: 'by-signal' }, { signal: ac.signal, timeoutMs: 0 });
    await eventually('the call reached the handler', () => started.has('by-signal'));
    ac.abort();
    await rejectsWith(p, GrpcStatus.CANCELLED);
    await eventually('both handlers saw the cancellation', () => aborted.length === 2);
    assert.deepEqual(aborted.sort(), ['by-deadline', 'by-signal']);
  } finally {
    client.close();
    await server.stop();
  }
});

test('an event stream ends cleanly when the client stops reading, and on server stop', async () => {
  const socket = join(dir, 'events.sock');
  let closed = 0;
  const server = await startCriServer({
    socket,
    runtime: {
      async *GetContainerEvents(_req, ctx) {
        try {
          for (let i = 0; !ctx.signal.aborted; i++) {
            yield { container_id: `c${i}`, container_event_type: 'CONTAINER_STARTED_EVENT' as const };
            await new Promise((r) => setTimeout(r, 5));
          }
        } finally {
          closed++;
        }
      },
    },
  });
  const client = new CriClient(socket);
  try {
    const seen: string[] = [];
    for await (const e of client.getContainerEvents()) {
      seen.push(e.container_id);
      assert.equal(e.container_event_type, 'CONTAINER_STARTED_EVENT');
      if (seen.length === 3) break;
    }
    assert.deepEqual(seen, ['c0', 'c1', 'c2']);
    await eventually('the handler saw the client leave', () => closed === 1);

    // A second subscriber is ended by stop(): iteration finishes without hanging.
    const it = client.getContainerEvents();
    assert.equal((await it.next()).value?.container_id, 'c0');
    await server.stop(1000);
    try {
      while (!(await it.next()).done); // drains what was in flight, then ends
    } catch (err) {
      assert.ok(err instanceof CriError, String(err));
    }
    await eventually('the second handler was closed', () => closed === 2);
  } finally {
    client.close();
    await server.stop();
  }
});

test('the socket: mode 0660, a stale file is replaced, a live one refused, removed on stop', async () => {
  const socket = join(dir, 'sub', 'cri.sock');
  // A stale socket: left behind by a process killed with SIGKILL.
  const child = spawn(process.execPath, ['-e', `require('node:fs').mkdirSync(${JSON.stringify(join(dir, 'sub'))}, {recursive: true}); require('node:net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve) => child.stdout!.once('data', resolve));
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  assert.ok((await stat(socket)).isSocket(), 'the killed process left its socket file');

  const server = await startCriServer({ socket: `unix://${socket}`, runtime: { Version: () => ({ runtime_api_version: 'v1' }) } });
  try {
    assert.equal((await stat(socket)).mode & 0o777, 0o660);
    const client = new CriClient(`unix://${socket}`);
    assert.equal((await client.version()).runtime_api_version, 'v1');
    client.close();
    await assert.rejects(startCriServer({ socket }), /another process is serving it/);
  } finally {
    await server.stop();
  }
  assert.equal(existsSync(socket), false, 'stop() removes the socket');

  const notSocket = join(dir, 'plain-file');
  await writeFile(notSocket, 'x');
  await assert.rejects(startCriServer({ socket: notSocket }), /exists and is not a socket/);
});

test('the client reports an unreachable endpoint as UNAVAILABLE', async () => {
  const client = new CriClient(join(dir, 'nobody-here.sock'));
  try {
    await rejectsWith(client.version({}, { timeoutMs: 2000 }), GrpcStatus.UNAVAILABLE);
    await rejectsWith(client.waitForReady(200), GrpcStatus.UNAVAILABLE, /not ready/);
  } finally {
    client.close();
  }
});
