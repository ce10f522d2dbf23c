// Output of skiff crictl's list and inspect commands for fixed responses, compared byte for byte
// with what crictl prints for the same data.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderImages, repoTagPairs, sortImages } from '../../../src/cli/crictl/images.js';
import { labelBlock } from '../../../src/cli/crictl/format.js';
import { renderPodStatusTable, renderPods, podStatusJson, selectPods } from '../../../src/cli/crictl/pods.js';
import { containerStateFilter, containerStatusJson, renderContainerStatusTable, renderContainers } from '../../../src/cli/crictl/ps.js';
import { renderInfo, renderVersion } from '../../../src/cli/crictl/runtime.js';
import { renderStats } from '../../../src/cli/crictl/stats.js';
import type { Container, ContainerStats, ContainerStatusResponse, Image, PodSandbox } from '../../../src/cri/types.js';

process.env.TZ = 'UTC';

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const minutesAgo = (m: number): number => (NOW - m * 60_000) * 1e6;
const POD_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const CTR_ID = 'f0e1d2c3b4a5968778695a4b3c2d1e0ff0e1d2c3b4a5968778695a4b3c2d1e0f';
const IMAGE_ID = 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741';

function pod(over: Partial<PodSandbox> = {}): PodSandbox {
  return {
    id: POD_ID,
    metadata: { name: 'web', uid: 'u-1', namespace: 'default', attempt: 0 },
    state: 'SANDBOX_READY',
    created_at: minutesAgo(2),
    labels: {},
    annotations: {},
    runtime_handler: '',
    ...over,
  };
}

function container(over: Partial<Container> = {}): Container {
  return {
    id: CTR_ID,
    pod_sandbox_id: POD_ID,
    metadata: { name: 'app', attempt: 1 },
    image: { image: IMAGE_ID, annotations: {}, user_specified_image: '', runtime_handler: '' },
    image_ref: IMAGE_ID,
    state: 'CONTAINER_RUNNING',
    created_at: minutesAgo(90),
    labels: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'default' },
    annotations: {},
    image_id: IMAGE_ID,
    ...over,
  };
}

test('pods: table, quiet, verbose', () => {
  const pods = [pod(), pod({ id: 'b'.repeat(64), state: 'SANDBOX_NOTREADY', runtime_handler: 'runsc', created_at: minutesAgo(0.5), metadata: { name: 'db', uid: 'u-2', namespace: 'kube-system', attempt: 3 } })];
  assert.equal(
    renderPods(pods, { now: NOW }),
    [
      'POD ID              CREATED             STATE               NAME                NAMESPACE           ATTEMPT             RUNTIME',
      'a1b2c3d4e5f60       2 minutes ago       Ready               web                 default             0                   (default)',
      'bbbbbbbbbbbbb       30 seconds ago      NotReady            db                  kube-system         3                   runsc',
      '',
    ].join('\n'),
  );
  assert.equal(renderPods(pods, { quiet: true }), `${POD_ID}\n${'b'.repeat(64)}\n`);
  assert.match(renderPods([pod()], { noTrunc: true, now: NOW }), new RegExp(`^${POD_ID}   2 minutes ago`, 'm'));
  assert.equal(
    renderPods([pod({ labels: { b: '2', a: '1' }, created_at: Date.UTC(2024, 0, 1, 11, 58) * 1e6 })], { verbose: true }),
    `ID: ${POD_ID}\nName: web\nUID: u-1\nNamespace: default\nStatus: Ready\nCreated: 2024-01-01 11:58:00 +0000 UTC\nLabels:\n\ta -> 1\n\tb -> 2\nRuntime: (default)\n\n`,
  );
  assert.equal(labelBlock('Labels', {}), '');
});

test('pods: name/namespace regexps, newest first, --latest and --last', () => {
  const older = pod({ id: 'old', created_at: minutesAgo(10) });
  const newer = pod({ id: 'new', created_at: minutesAgo(1), metadata: { name: 'api', uid: '', namespace: 'prod', attempt: 0 } });
  assert.deepEqual(selectPods([older, newer], {}).map((p) => p.id), ['new', 'old']);
  assert.deepEqual(selectPods([older, newer], { latest: true }).map((p) => p.id), ['new']);
  assert.deepEqual(selectPods([older, newer], { last: '5' }).map((p) => p.id), ['new', 'old']);
  assert.deepEqual(selectPods([older, newer], { name: '^we' }).map((p) => p.id), ['old']);
  assert.deepEqual(selectPods([older, newer], { namespace: 'prod' }).map((p) => p.id), ['new']);
});

test('inspectp: table form and the status JSON with a readable createdAt', () => {
  const r = {
    status: {
      id: POD_ID, metadata: { name: 'web', uid: 'u-1', namespace: 'default', attempt: 0 }, state: 'SANDBOX_READY' as const,
      created_at: Date.UTC(2024, 0, 1, 11, 58) * 1e6, network: { ip: '10.88.0.5', additional_ips: [{ ip: 'fd00::5' }] }, linux: null,
      labels: {}, annotations: { x: 'y' }, runtime_handler: '',
    },
    info: { info: '{"pid":1}' }, containers_statuses: [], timestamp: 0,
  };
  assert.equal(
    renderPodStatusTable(r, true),
    `ID: ${POD_ID}\nName: web\nUID: u-1\nNamespace: default\nAttempt: 0\nStatus: SANDBOX_READY\nCreated: 2024-01-01 11:58:00 +0000 UTC\nIP Addresses: 10.88.0.5\nAdditional IP: fd00::5\nAnnotations:\n\tx -> y\nInfo: map[info:{"pid":1}]\n`,
  );
  const json = podStatusJson(r);
  assert.equal(json.createdAt, '2024-01-01T11:58:00Z');
  assert.deepEqual(json.metadata, { name: 'web', uid: 'u-1', namespace: 'default', attempt: 0 });
  assert.equal(json.runtimeHandler, '');
});

test('ps: table with truncated ids and image digest, pod name and namespace from labels', () => {
  const out = renderContainers([container(), container({ id: 'c'.repeat(64), labels: {}, state: 'CONTAINER_EXITED', image: { image: 'busybox', annotations: {}, user_specified_image: '', runtime_handler: '' } })], { now: NOW });
  assert.equal(
    out,
    [
      'CONTAINER           IMAGE               CREATED             STATE               NAME                ATTEMPT             POD ID              POD                 NAMESPACE',
      'f0e1d2c3b4a59       3f57d9401f8d4       2 hours ago         Running             app                 1                   a1b2c3d4e5f60       web                 default',
      'ccccccccccccc       busybox             2 hours ago         Exited              app                 1                   a1b2c3d4e5f60       unknown             unknown',
      '',
    ].join('\n'),
  );
  assert.match(renderContainers([container()], { images: new Map([[IMAGE_ID, 'docker.io/library/busybox:latest']]), now: NOW }), /docker\.io\/library\/busybox:latest/);
  assert.equal(renderContainers([container()], { verbose: true, now: NOW }).split('\n').slice(0, 7).join('\n'), `ID: ${CTR_ID}\nPodID: ${POD_ID}\nNamespace: default\nName: app\nAttempt: 1\nState: Running\nImage: ${IMAGE_ID}`);
});

test('ps state filter: running by default, any with --all, --latest or --last', () => {
  assert.deepEqual(containerStateFilter({}), { state: 'CONTAINER_RUNNING' });
  assert.equal(containerStateFilter({ all: true }), undefined);
  assert.equal(containerStateFilter({ latest: true }), undefined);
  assert.deepEqual(containerStateFilter({ state: 'Exited' }), { state: 'CONTAINER_EXITED' });
  assert.throws(() => containerStateFilter({ state: 'gone' }), /--state should be one of created, running, exited or unknown/);
});

test('inspect: table lines and status JSON times (zero time when not started/finished)', () => {
  const base = {
    id: CTR_ID, metadata: { name: 'app', attempt: 0 }, created_at: minutesAgo(5), started_at: minutesAgo(4), finished_at: minutesAgo(1), exit_code: 2,
    image: null, image_ref: '', reason: 'Error', message: '', labels: {}, annotations: {}, mounts: [], log_path: '/l/0.log', resources: null, image_id: '', user: null, image_source: '',
  };
  const exited: ContainerStatusResponse = { status: { ...base, state: 'CONTAINER_EXITED' }, info: {} };
  assert.equal(renderContainerStatusTable(exited, false, NOW), `ID: ${CTR_ID}\nName: app\nState: CONTAINER_EXITED\nCreated: 5 minutes ago\nStarted: 4 minutes ago\nFinished: About a minute ago\nExit Code: 2\n`);
  const created: ContainerStatusResponse = { status: { ...base, state: 'CONTAINER_CREATED', started_at: 0, finished_at: 0 }, info: {} };
  const j = containerStatusJson(created);
  assert.equal(j.startedAt, '0001-01-01T00:00:00Z');
  assert.equal(j.finishedAt, '0001-01-01T00:00:00Z');
  assert.equal(j.exitCode, 2);
  assert.equal(j.logPath, '/l/0.log');
  assert.equal(containerStatusJson(exited).finishedAt, new Date(NOW - 60_000).toISOString().replace('.000Z', 'Z'));
});

test('images: sorted by tag, one row per tag, <none> for untagged, --digests', () => {
  const img = (over: Partial<Image>): Image => ({ id: IMAGE_ID, repo_tags: [], repo_digests: [], size: 1054231, uid: null, username: '', spec: null, pinned: false, image_source: '', ...over });
  const images = sortImages([
    img({ repo_tags: ['docker.io/library/busybox:latest', 'docker.io/library/busybox:1.36'], repo_digests: [`docker.io/library/busybox@sha256:${'5'.repeat(64)}`] }),
    img({ id: `sha256:${'a'.repeat(64)}`, repo_tags: ['docker.io/library/alpine:3'], size: 7_800_000 }),
    img({ id: `sha256:${'e'.repeat(64)}`, repo_digests: [`registry.k8s.io/pause@sha256:${'9'.repeat(64)}`], size: 322876 }),
  ]);
  assert.equal(
    renderImages(images, {}),
    [
      'IMAGE                       TAG                 IMAGE ID            SIZE',
      'docker.io/library/alpine    3                   aaaaaaaaaaaaa       7.8MB',
      'docker.io/library/busybox   latest              3f57d9401f8d4       1.05MB',
      'docker.io/library/busybox   1.36                3f57d9401f8d4       1.05MB',
      'registry.k8s.io/pause       <none>              eeeeeeeeeeeee       323kB',
      '',
    ].join('\n'),
  );
  assert.match(renderImages(images, { digests: true }), /^docker\.io\/library\/busybox   latest              5555555555555       3f57d9401f8d4       1\.05MB$/m);
  assert.equal(renderImages(images, { quiet: true }).split('\n')[0], `sha256:${'a'.repeat(64)}`);
  assert.deepEqual(repoTagPairs(['<none>:<none>'], 'x'), [['x', '<none>']]);
});

test('stats: CPU % from two samples; stopped and new containers left out', () => {
  const stat = (id: string, cpuNs: number, ts: number, mem: number): ContainerStats => ({
    attributes: { id, metadata: { name: `n-${id[0]}`, attempt: 0 }, labels: {}, annotations: {} },
    cpu: { timestamp: ts, usage_core_nano_seconds: { value: cpuNs }, usage_nano_cores: null },
    memory: { timestamp: ts, working_set_bytes: { value: mem }, available_bytes: null, usage_bytes: null, rss_bytes: null, page_faults: null, major_page_faults: null },
    writable_layer: { timestamp: ts, fs_id: null, used_bytes: { value: 8192 }, inodes_used: { value: 5 } },
    swap: null,
  });
  const a = 'a'.repeat(64);
  const before = [stat(a, 1_000_000_000, 1e9, 819200), stat('b'.repeat(64), 0, 1e9, 0)];
  const after = [stat(a, 1_250_000_000, 2e9, 819200), stat('b'.repeat(64), 0, 2e9, 0), stat('c'.repeat(64), 5, 2e9, 1)];
  assert.equal(
    renderStats(before, after, false),
    'CONTAINER           NAME                CPU %               MEM                 DISK                INODES              SWAP\naaaaaaaaaaaaa       n-a                 25.00               819.2kB             8.192kB             5                   0B\n',
  );
  assert.equal(renderStats(before, after, true).split('\n').length, 4);
});

test('version and info as crictl prints them', () => {
  assert.equal(renderVersion({ version: '0.1.0', runtime_name: 'skiff', runtime_version: 'v0.1.0', runtime_api_version: 'v1' }), 'Version:  0.1.0\nRuntimeName:  skiff\nRuntimeVersion:  v0.1.0\nRuntimeApiVersion:  v1\n');
  const info = renderInfo(
    {
      status: { conditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }] },
      info: { config: '{"b":1,"a":"<x>"}', golang: '"go1.20"' },
      runtime_handlers: [{ name: 'runc', features: { recursive_read_only_mounts: false, user_namespaces: true } }],
      features: null,
    },
    'json',
  );
  assert.equal(
    info,
    `{
  "config": {
    "a": "\\u003cx\\u003e",
    "b": 1
  },
  "golang": "go1.20",
  "runtimeHandlers": [
    {
      "features": {
        "user_namespaces": true
      },
      "name": "runc"
    }
  ],
  "status": {
    "conditions": [
      {
        "message": "",
        "reason": "",
        "status": true,
        "type": "RuntimeReady"
      }
    ]
  }
}
`,
  );
  assert.match(renderInfo({ status: null, info: {}, runtime_handlers: [], features: null }, 'yaml'), /^status: {}\n\n$/);
});
