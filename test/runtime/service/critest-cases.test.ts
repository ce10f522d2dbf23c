// The upstream CRI validation suite (critest, kubernetes-sigs/cri-tools pkg/validate) cases that
// skiff's runtime failed, stated here as our own tests against a real `skiff runtime` with runc.
// Each `it` is named after the critest case it mirrors. critest's images cannot be pulled here:
// the project's busybox stands in (its applets are symlinks, and it has no brctl, so network
// management is checked with `ip link add ... type bridge`).

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CriError, GrpcStatus } from '../../../src/cri/errors.js';
import type { ContainerConfig, Input, LinuxContainerSecurityContext, PodSandboxConfig } from '../../../src/cri/types.js';
import { ALL_CAPABILITIES } from '../../../src/runtime/oci/defaults.js';
import { capabilitiesOfMask } from '../../../src/runtime/oci/host.js';
import { buildCapabilities } from '../../../src/runtime/oci/security.js';
import { startTestRuntime, type TestRuntime } from '../../helpers/cri-runtime.js';

describe('critest cases skiff used to fail', () => {
  let rt: TestRuntime;
  let profileDir = '';
  let seq = 0;

  /** critest's sandbox config: no log directory, no namespace options (so an infra process holds them). */
  const podConfig = (securityContext: Input<NonNullable<PodSandboxConfig['linux']>>['security_context'] = null): Input<PodSandboxConfig> => {
    seq++;
    return {
      metadata: { name: `critest-${seq}`, namespace: 'cri-test-namespace', uid: `cri-test-uid-${rt.tag}-${seq}`, attempt: 2 },
      linux: { cgroup_parent: rt.cgroupParent, security_context: securityContext },
    };
  };
  const runPod = async (config: Input<PodSandboxConfig>): Promise<string> => (await rt.client.runPodSandbox({ config })).pod_sandbox_id;
  const container = (name: string, command: string[], sc: Input<LinuxContainerSecurityContext> | null = null, extra: Input<ContainerConfig> = {}): Input<ContainerConfig> => ({
    metadata: { name, attempt: 2 },
    image: { image: 'busybox:latest' },
    command,
    linux: { security_context: sc },
    ...extra,
  });
  const runContainer = async (sandbox: string, pod: Input<PodSandboxConfig>, config: Input<ContainerConfig>): Promise<string> => {
    const { container_id } = await rt.client.createContainer({ pod_sandbox_id: sandbox, config, sandbox_config: pod });
    await rt.client.startContainer({ container_id });
    assert.equal((await rt.client.containerStatus({ container_id })).status?.state, 'CONTAINER_RUNNING');
    return container_id;
  };
  const execSync = async (id: string, cmd: string[]): Promise<{ stdout: string; stderr: string; code: number }> => {
    const r = await rt.client.execSync({ container_id: id, cmd, timeout: 30 });
    return { stdout: r.stdout.toString(), stderr: r.stderr.toString(), code: r.exit_code };
  };
  const removePod = async (id: string): Promise<void> => {
    await rt.client.stopPodSandbox({ pod_sandbox_id: id });
    await rt.client.removePodSandbox({ pod_sandbox_id: id });
  };

  before(async () => {
    rt = await startTestRuntime();
    await rt.client.pullImage({ image: { image: 'busybox:latest' } });
    profileDir = await mkdtemp(join(tmpdir(), 'seccomp-tests'));
  });
  after(async () => {
    await rt?.stop();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  describe('Idempotence', () => {
    it('StopPodSandbox should not return an error if not found', async () => {
      await rt.client.stopPodSandbox({ pod_sandbox_id: 'f'.repeat(64) });
    });

    it('StopContainer should not return an error if not found', async () => {
      await rt.client.stopContainer({ container_id: 'f'.repeat(64), timeout: 0 });
    });
  });

  describe('Security Context', () => {
    it('runtime should support adding ALL capabilities (only those the runtime itself has)', async () => {
      const pod = podConfig();
      const sb = await runPod(pod);
      try {
        const c = await runContainer(sb, pod, container('all-caps', ['sh', '-c', 'top'], { capabilities: { add_capabilities: ['ALL'] } }));
        const { stdout, stderr } = await execSync(c, ['cat', '/proc/self/status']);
        assert.equal(stderr, '');
        assert.doesNotMatch(stdout, /CapBnd:\s0000000000000000/);
      } finally {
        await removePod(sb);
      }
    });

    it('runtime should support Privileged is true', async () => {
      const pod = podConfig({ privileged: true });
      const sb = await runPod(pod);
      try {
        const c = await runContainer(sb, pod, container('privileged', ['sh', '-c', 'top'], { privileged: true }));
        // critest runs `brctl addbr foobar`: network management needs CAP_NET_ADMIN.
        const r = await execSync(c, ['ip', 'link', 'add', 'foobar', 'type', 'bridge']);
        assert.equal(r.code, 0, r.stderr);
      } finally {
        await removePod(sb);
      }
    });

    it('"ALL" is the runtime process\'s effective set, read from its CapEff mask', () => {
      const current = capabilitiesOfMask('000001fffeffffff', 40);
      assert.equal(current.length, 40);
      assert.ok(!current.includes('CAP_SYS_RESOURCE'), 'bit 24 is clear in the mask');
      const all = buildCapabilities({ capabilities: { add_capabilities: ['ALL'], drop_capabilities: [] } } as never, 40, current);
      assert.deepEqual(all.bounding, ALL_CAPABILITIES.filter((c) => c !== 'CAP_SYS_RESOURCE'));
      assert.deepEqual(buildCapabilities({ privileged: true } as never, 40, current).effective, all.bounding);
    });
  });

  describe('SeccompProfilePath', () => {
    const profile = async (name: string, blocked: string[]): Promise<string> => {
      const p = join(profileDir, name);
      await writeFile(p, JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: blocked, action: 'SCMP_ACT_ERRNO' }] }));
      return p;
    };

    it('should support seccomp localhost profile on the container (set on the pod too)', async () => {
      const seccomp = { profile_type: 'Localhost' as const, localhost_ref: await profile('block-chmod.json', ['chmod', 'fchmodat']) };
      const pod = podConfig({ seccomp });
      const sb = await runPod(pod);
      try {
        const c = await runContainer(sb, pod, container('seccomp-localhost', ['sh', '-c', 'top'], { seccomp }));
        const r = await execSync(c, ['chmod', '400', '/']);
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /Operation not permitted/);
      } finally {
        await removePod(sb);
      }
    });

    it('runtime should ignore a seccomp profile that blocks setting hostname when privileged', async () => {
      const seccomp = { profile_type: 'Localhost' as const, localhost_ref: await profile('block-host-name.json', ['sethostname']) };
      const pod = podConfig({ privileged: true });
      const sb = await runPod(pod);
      try {
        const c = await runContainer(sb, pod, container('seccomp-privileged', ['sleep', '60'], { privileged: true, seccomp }));
        const r = await execSync(c, ['hostname', 'ANewHostName']);
        assert.equal(r.code, 0, r.stderr);
      } finally {
        await removePod(sb);
      }
    });
  });

  describe('Image Volume [Feature:ImageVolume]', () => {
    it('an image volume mount is answered with Unimplemented (critest skips), not a failure', async () => {
      const pod = podConfig();
      const sb = await runPod(pod);
      try {
        const config = container('image-volume', ['sh', '-c', 'top'], null, { mounts: [{ container_path: '/mnt/image-volume', readonly: true, image: { image: 'busybox:latest' } }] });
        const err = await rt.client.createContainer({ pod_sandbox_id: sb, config, sandbox_config: pod }).then(() => undefined, (e: unknown) => e);
        assert.ok(err instanceof CriError, `expected a CriError, got ${String(err)}`);
        assert.equal(err.code, GrpcStatus.UNIMPLEMENTED, err.message);
        assert.match(err.message, /image volumes are not supported/);
        assert.equal((await rt.client.listContainers({ filter: { pod_sandbox_id: sb } })).containers.length, 0, 'nothing kept of the refused container');
      } finally {
        await removePod(sb);
      }
    });
  });
});
