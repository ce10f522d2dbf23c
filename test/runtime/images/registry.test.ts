// The distribution client against a fake registry: the Bearer challenge flow, Basic auth,
// redirects, corrupt and short blobs, manifest lists, endpoint fallback.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { ContentStore } from '../../../src/runtime/images/content.js';
import { ImageRecords } from '../../../src/runtime/images/image-records.js';
import { pullImage } from '../../../src/runtime/images/pull.js';
import { parseRegistriesConfig } from '../../../src/runtime/images/registries-config.js';
import { parseChallenges } from '../../../src/runtime/images/registry-auth.js';
import { ImageError } from '../../../src/runtime/images/registry-errors.js';
import { sha256, startFakeRegistry, type FakeRegistry } from '../../helpers/fake-registry.js';

const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
const DOCKER_LAYER = 'application/vnd.docker.image.rootfs.diff.tar.gzip';

interface FakeImage {
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
  size: number;
}

/** A Docker schema 2 image with `layers` layers of distinct bytes (not real tars: pulling does not unpack). */
function addImage(fake: FakeRegistry, repo: string, tag: string | undefined, arch = 'amd64', layers = 2): FakeImage {
  const tars = Array.from({ length: layers }, (_, i) => Buffer.from(`${repo} ${arch} layer ${i} `.repeat(2000 + i)));
  const gz = tars.map((t) => gzipSync(t));
  const layerDigests = gz.map((g) => fake.addBlob(g));
  const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: tars.map((t) => sha256(t)) } }));
  const configDigest = fake.addBlob(config);
  const m = fake.addManifest(
    repo,
    {
      schemaVersion: 2,
      mediaType: DOCKER_MANIFEST,
      config: { mediaType: DOCKER_CONFIG, digest: configDigest, size: config.length },
      layers: gz.map((g, i) => ({ mediaType: DOCKER_LAYER, digest: layerDigests[i], size: g.length })),
    },
    DOCKER_MANIFEST,
    tag,
  );
  return { manifestDigest: m.digest, configDigest, layerDigests, size: m.size };
}

describe('registry client against a fake registry', () => {
  let fake: FakeRegistry;
  let work: string;
  let n = 0;
  const freshRoot = (): string => join(work, `root-${++n}`);

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'skiff-fakereg-'));
    fake = await startFakeRegistry();
  });
  afterEach(() => {
    fake.setAuth({ mode: 'none' });
    fake.corrupt.clear();
    fake.truncate.clear();
    fake.redirectBlobs = false;
    fake.requests.length = 0;
  });
  after(async () => {
    await fake?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('parses WWW-Authenticate challenges', () => {
    assert.deepEqual(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"'), [
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' } },
    ]);
    assert.deepEqual(parseChallenges('Basic realm="x, y", Bearer realm=https://t/token'), [
      { scheme: 'basic', params: { realm: 'x, y' } },
      { scheme: 'bearer', params: { realm: 'https://t/token' } },
    ]);
    assert.deepEqual(parseChallenges(['Basic', 'Bearer realm="r",error="invalid_token"']), [
      { scheme: 'basic', params: {} },
      { scheme: 'bearer', params: { realm: 'r', error: 'invalid_token' } },
    ]);
  });

  it('follows the Bearer challenge anonymously, caching the token for the scope', async () => {
    const img = addImage(fake, 'team/app', 'v1');
    fake.setAuth({ mode: 'bearer' });
    const r = await pullImage(`${fake.host}/team/app:v1`, { root: freshRoot() });
    assert.equal(r.manifestDigest, img.manifestDigest);
    assert.equal(fake.tokensIssued >= 1, true);
    const tokenRequests = fake.requests.filter((q) => q.path === '/token');
    assert.equal(tokenRequests.length, 1, 'one token for repository:team/app:pull, reused for every blob');
    assert.equal(tokenRequests[0]?.authorization, undefined, 'anonymous');
    const unauthorized = fake.requests.filter((q) => q.path.startsWith('/v2/') && q.authorization === undefined);
    assert.equal(unauthorized.length, 1, 'only the first request goes without a token');
    assert.ok(fake.requests.filter((q) => q.path.includes('/blobs/')).every((q) => q.authorization?.startsWith('Bearer ')));
  });

  it('sends Basic credentials to the token server and reads access_token; wrong ones are Unauthorized', async () => {
    const img = addImage(fake, 'private/app', 'v1');
    fake.setAuth({ mode: 'bearer', username: 'alice', password: 's3cret', tokenField: 'access_token' });
    const registries = parseRegistriesConfig(`configs:\n  "${fake.host}":\n    auth: { username: alice, password: s3cret }\n`);
    const r = await pullImage(`${fake.host}/private/app:v1`, { root: freshRoot(), registries });
    assert.equal(r.manifestDigest, img.manifestDigest);
    const tokenReq = fake.requests.find((q) => q.path === '/token');
    assert.equal(tokenReq?.authorization, `Basic ${Buffer.from('alice:s3cret').toString('base64')}`);

    await assert.rejects(pullImage(`${fake.host}/private/app:v1`, { root: freshRoot(), auth: { username: 'alice', password: 'wrong' } }), (e: unknown) => {
      assert.ok(e instanceof ImageError);
      assert.equal(e.code, 'Unauthorized');
      assert.match(e.message, /token server .* refused the credentials for repository:private\/app:pull/);
      return true;
    });
  });

  it('exchanges an identity token (OAuth2 refresh_token grant) and sends a registry token as is', async () => {
    const img = addImage(fake, 'oauth/app', 'v1');
    fake.setAuth({ mode: 'bearer', identityToken: 'refresh-me' });
    const r = await pullImage(`${fake.host}/oauth/app:v1`, { root: freshRoot(), auth: { identityToken: 'refresh-me' } });
    assert.equal(r.manifestDigest, img.manifestDigest);
    assert.ok(fake.requests.some((q) => q.method === 'POST' && q.path === '/token'));
    await assert.rejects(pullImage(`${fake.host}/oauth/app:v1`, { root: freshRoot(), auth: { identityToken: 'wrong' } }), (e: unknown) => e instanceof ImageError && e.code === 'Unauthorized');

    fake.requests.length = 0;
    await assert.rejects(pullImage(`${fake.host}/oauth/app:v1`, { root: freshRoot(), auth: { registryToken: 'not-issued' } }), (e: unknown) => e instanceof ImageError && e.code === 'Unauthorized');
    assert.equal(fake.requests[0]?.authorization, 'Bearer not-issued');
  });

  it('uses Basic auth (also given as base64 `auth`), refuses without or with wrong credentials', async () => {
    const img = addImage(fake, 'basic/app', 'v1');
    fake.setAuth({ mode: 'basic', username: 'bob', password: 'pw' });
    const r = await pullImage(`${fake.host}/basic/app:v1`, { root: freshRoot(), auth: { auth: Buffer.from('bob:pw').toString('base64') } });
    assert.equal(r.manifestDigest, img.manifestDigest);
    for (const auth of [undefined, { username: 'bob', password: 'nope' }]) {
      await assert.rejects(pullImage(`${fake.host}/basic/app:v1`, { root: freshRoot(), ...(auth ? { auth } : {}) }), (e: unknown) => {
        assert.ok(e instanceof ImageError);
        assert.equal(e.code, 'Unauthorized');
        assert.match(e.message, /access denied \(401 UNAUTHORIZED/);
        return true;
      });
    }
  });

  it('follows blob redirects, sending credentials only to the same origin', async () => {
    const storage = await startFakeRegistry();
    try {
      const img = addImage(fake, 'redir/app', 'v1');
      addImage(storage, 'redir/app', 'v1'); // the same bytes, so the same digests
      fake.setAuth({ mode: 'basic', username: 'bob', password: 'pw' });
      const basic = `Basic ${Buffer.from('bob:pw').toString('base64')}`;

      fake.redirectBlobs = true;
      const root = freshRoot();
      await pullImage(`${fake.host}/redir/app:v1`, { root, auth: { username: 'bob', password: 'pw' } });
      const same = fake.requests.filter((q) => q.path.startsWith('/_storage/'));
      assert.equal(same.length, 3);
      assert.ok(same.every((q) => q.authorization === basic));
      for (const d of [img.configDigest, ...img.layerDigests]) assert.ok(await new ContentStore(root).has(d));

      fake.redirectBlobs = storage.url;
      const root2 = freshRoot();
      await pullImage(`${fake.host}/redir/app:v1`, { root: root2, auth: { username: 'bob', password: 'pw' } });
      const other = storage.requests.filter((q) => q.path.startsWith('/_storage/'));
      assert.equal(other.length, 3);
      assert.ok(other.every((q) => q.authorization === undefined), 'no credentials to another origin');
      for (const d of [img.configDigest, ...img.layerDigests]) assert.ok(await new ContentStore(root2).has(d));
    } finally {
      await storage.stop();
    }
  });

  it('rejects a corrupt blob by digest and keeps nothing of it, nor an image record', async () => {
    const img = addImage(fake, 'bad/app', 'v1');
    const bad = img.layerDigests[1] as string;
    fake.corrupt.add(bad);
    const root = freshRoot();
    await assert.rejects(pullImage(`${fake.host}/bad/app:v1`, { root }), (e: unknown) => {
      assert.ok(e instanceof ImageError);
      assert.equal(e.code, 'DigestMismatch');
      assert.ok(e.message.includes(bad), e.message);
      return true;
    });
    const store = new ContentStore(root);
    assert.ok(!(await store.has(bad)));
    assert.deepEqual(await readdir(store.ingestDir), []);
    assert.deepEqual(await new ImageRecords(root).list(), []);
  });

  it('rejects a short blob (connection closed early) and keeps nothing of it', async () => {
    const img = addImage(fake, 'short/app', 'v1');
    const bad = img.layerDigests[0] as string;
    fake.truncate.add(bad);
    const root = freshRoot();
    await assert.rejects(pullImage(`${fake.host}/short/app:v1`, { root }), (e: unknown) => {
      assert.ok(e instanceof ImageError);
      assert.ok(e.message.includes(bad), e.message);
      return true;
    });
    const store = new ContentStore(root);
    assert.ok(!(await store.has(bad)));
    assert.deepEqual(await readdir(store.ingestDir), []);
  });

  it('picks linux/amd64 from a Docker manifest list', async () => {
    const arm = addImage(fake, 'multi/app', undefined, 'arm64', 1);
    const amd = addImage(fake, 'multi/app', undefined, 'amd64', 1);
    const amdV3 = addImage(fake, 'multi/app', undefined, 'amd64', 1);
    const entry = (i: FakeImage, platform: Record<string, string>): object => ({ mediaType: DOCKER_MANIFEST, digest: i.manifestDigest, size: i.size, platform });
    const list = fake.addManifest(
      'multi/app',
      {
        schemaVersion: 2,
        mediaType: DOCKER_LIST,
        manifests: [
          entry(arm, { os: 'linux', architecture: 'arm64', variant: 'v8' }),
          entry(amdV3, { os: 'linux', architecture: 'amd64', variant: 'v3' }),
          entry(amd, { os: 'linux', architecture: 'amd64' }),
          entry(arm, { os: 'unknown', architecture: 'unknown' }),
        ],
      },
      DOCKER_LIST,
      'latest',
    );
    const root = freshRoot();
    const r = await pullImage(`${fake.host}/multi/app`, { root });
    assert.equal(r.digest, list.digest);
    assert.equal(r.manifestDigest, amd.manifestDigest);
    assert.equal(r.id, amd.configDigest);
    assert.deepEqual(r.platform, { os: 'linux', architecture: 'amd64' });
    assert.ok(!(await new ContentStore(root).has(arm.configDigest)));

    const onlyArm = fake.addManifest('multi/arm', { schemaVersion: 2, mediaType: DOCKER_LIST, manifests: [entry(arm, { os: 'linux', architecture: 'arm64' })] }, DOCKER_LIST, 'latest');
    await assert.rejects(pullImage(`${fake.host}/multi/arm`, { root }), (e: unknown) => {
      assert.ok(e instanceof ImageError);
      assert.equal(e.code, 'NotFound');
      assert.ok(e.message.includes(`no linux/amd64 image in index ${onlyArm.digest} (it has: linux/arm64)`), e.message);
      return true;
    });
  });

  it('falls back from a mirror that lacks the image to the registry itself', async () => {
    const upstream = await startFakeRegistry();
    try {
      const img = addImage(upstream, 'fallback/app', 'v1');
      const registries = parseRegistriesConfig(`mirrors:\n  "${upstream.host}":\n    endpoint: ["http://${fake.host}"]\n`);
      const r = await pullImage(`${upstream.host}/fallback/app:v1`, { root: freshRoot(), registries });
      assert.equal(r.manifestDigest, img.manifestDigest);
      assert.ok(fake.requests.some((q) => q.path === '/v2/fallback/app/manifests/v1'), 'the mirror was asked first');
    } finally {
      await upstream.stop();
    }
  });

  it('fails with every endpoint named when none has the image', async () => {
    const registries = parseRegistriesConfig(`mirrors:\n  "${fake.host}":\n    endpoint: ["http://127.0.0.1:1"]\n`);
    await assert.rejects(pullImage(`${fake.host}/none/app:v1`, { root: freshRoot(), registries }), (e: unknown) => {
      assert.ok(e instanceof ImageError);
      assert.equal(e.code, 'NotFound');
      assert.ok(e.message.includes('http://127.0.0.1:1/v2') && e.message.includes(`http://${fake.host}/v2`), e.message);
      return true;
    });
  });

  it('stops when the caller aborts', async () => {
    addImage(fake, 'abort/app', 'v1');
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(pullImage(`${fake.host}/abort/app:v1`, { root: freshRoot(), signal: ac.signal }), (e: unknown) => e instanceof Error && e.name === 'AbortError');
  });

  it('uses registries.yaml TLS settings: a private CA and a client certificate', async () => {
    const dir = join(work, 'pki');
    const pki = await makePki(dir);
    const secure = await startFakeRegistry({ mode: 'none' }, { key: pki.serverKey, cert: pki.serverCert, clientCa: pki.caCert });
    try {
      const img = addImage(secure, 'tls/app', 'v1');
      const ref = `${secure.host}/tls/app:v1`;
      // A loopback registry with TLS settings is reached over https (without them: http).
      const cfg = (tls: string): string => `configs:\n  "${secure.host}":\n    tls: { ${tls} }\n`;
      const client = `cert_file: ${dir}/client.pem, key_file: ${dir}/client.key`;

      const r = await pullImage(ref, { root: freshRoot(), registries: parseRegistriesConfig(cfg(`ca_file: ${dir}/ca.pem, ${client}`)) });
      assert.equal(r.manifestDigest, img.manifestDigest);

      await assert.rejects(pullImage(ref, { root: freshRoot(), registries: parseRegistriesConfig(cfg(client)) }), (e: unknown) => {
        assert.ok(e instanceof ImageError);
        assert.equal(e.code, 'Unavailable');
        assert.match(e.message, /certificate/);
        return true;
      });
      const skip = await pullImage(ref, { root: freshRoot(), registries: parseRegistriesConfig(cfg(`insecure_skip_verify: true, ${client}`)) });
      assert.equal(skip.manifestDigest, img.manifestDigest);
      await assert.rejects(pullImage(ref, { root: freshRoot(), registries: parseRegistriesConfig(cfg(`ca_file: ${dir}/ca.pem`)) }), (e: unknown) => e instanceof ImageError && e.code === 'Unavailable');
    } finally {
      await secure.stop();
    }
  });
});

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
async function makePki(dir: string): Promise<{ caCert: Buffer; serverKey: Buffer; serverCert: Buffer }> {
  await mkdir(dir, { recursive: true });
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=skiff test CA');
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await writeFile(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=skiff test ${who}`);
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.ext`);
  }
  return { caCert: await readFile(join(dir, 'ca.pem')), serverKey: await readFile(join(dir, 'server.key')), serverCert: await readFile(join(dir, 'server.pem')) };
}
