import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GrpcStatus, isCriError } from '../../../src/cri/errors.js';
import type { ContainerConfig, LinuxContainerResources, LinuxContainerSecurityContext, PodSandboxConfig } from '../../../src/runtime/oci/cri-types.js';
import { DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from '../../../src/runtime/oci/defaults.js';
import type { HostFeatures } from '../../../src/runtime/oci/host.js';
import { buildSpec, type BuildSpecInput } from '../../../src/runtime/oci/spec.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n';
const GROUP = 'root:x:0:\napp:x:1000:\nextra:x:2000:app\nother:x:3000:root\n';

const HOST: HostFeatures = { oomScoreAdjMin: 0, apparmor: false, cgroupV2: false, hugetlb: false, swapAccounting: true, capLastCap: 40 };

/** A fixture builder: a valid input, overridable piecewise. */
function input(over: {
  container?: Partial<ContainerConfig>;
  sc?: LinuxContainerSecurityContext;
  resources?: LinuxContainerResources;
  sandbox?: PodSandboxConfig;
  rest?: Partial<BuildSpecInput>;
} = {}): BuildSpecInput {
  return {
    id: 'c1',
    sandboxId: 's1',
    container: {
      metadata: { name: 'web' },
      image: { image: 'docker.io/library/busybox:latest' },
      ...over.container,
      linux: { security_context: over.sc ?? null, resources: over.resources ?? null },
    },
    sandbox: over.sandbox ?? { metadata: { name: 'pod', namespace: 'default', uid: 'u1' }, hostname: 'pod-host', linux: { cgroup_parent: '/kubepods/podu1' } },
    rootfs: '/var/lib/skiff/rootfs/c1',
    image: { Env: ['PATH=/bin', 'A=image'], Cmd: ['sh'], WorkingDir: '' },
    userDb: { passwd: PASSWD, group: GROUP },
    namespaces: { network: '/run/netns/s1', ipc: '/proc/10/ns/ipc', uts: '/proc/10/ns/uts', pid: 'new' },
    host: HOST,
    ...over.rest,
  };
}

function invalid(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (err: unknown) => isCriError(err, GrpcStatus.INVALID_ARGUMENT) && re.test((err as Error).message));
}

describe('buildSpec process', () => {
  const cases: { name: string; command?: string[]; args?: string[]; Entrypoint?: string[]; Cmd?: string[]; want: string[] }[] = [
    { name: 'image Entrypoint + Cmd', Entrypoint: ['/e'], Cmd: ['c1'], want: ['/e', 'c1'] },
    { name: 'args replace Cmd', Entrypoint: ['/e'], Cmd: ['c1'], args: ['a1'], want: ['/e', 'a1'] },
    { name: 'command replaces Entrypoint and drops Cmd', Entrypoint: ['/e'], Cmd: ['c1'], command: ['/x'], want: ['/x'] },
    { name: 'command + args', Entrypoint: ['/e'], Cmd: ['c1'], command: ['/x'], args: ['a1'], want: ['/x', 'a1'] },
    { name: 'Cmd alone', Cmd: ['/bin/sh', '-c', 'true'], want: ['/bin/sh', '-c', 'true'] },
    { name: 'args alone', args: ['/bin/true'], want: ['/bin/true'] },
  ];
  for (const c of cases) {
    it(`args: ${c.name}`, () => {
      const i = input({ container: { command: c.command ?? [], args: c.args ?? [] } });
      i.image = { Entrypoint: c.Entrypoint ?? null, Cmd: c.Cmd ?? null };
      assert.deepEqual(buildSpec(i).spec.process.args, c.want);
    });
  }

  it('refuses a container with nothing to run', () => {
    const i = input();
    i.image = {};
    invalid(() => buildSpec(i), /no command specified/);
  });

  it('merges env: default PATH, HOSTNAME, image, then CRI (same names replaced in place)', () => {
    const s = buildSpec(input({ container: { envs: [{ key: 'A', value: 'cri' }, { key: 'B', value: 'b' }], tty: true } })).spec;
    assert.deepEqual(s.process.env, ['PATH=/bin', 'TERM=xterm', 'HOSTNAME=pod-host', 'A=cri', 'B=b']);
    assert.equal(s.process.terminal, true);
  });

  it('keeps the default PATH when the image sets none, and refuses bad env names', () => {
    const i = input();
    i.image = { Cmd: ['sh'] };
    assert.match(buildSpec(i).spec.process.env[0] ?? '', /^PATH=\/usr\/local\/sbin:/);
    invalid(() => buildSpec(input({ container: { envs: [{ key: 'A=B', value: 'x' }] } })), /environment variable name/);
  });

  it('cwd: CRI working_dir, else image WorkingDir, else /', () => {
    assert.equal(buildSpec(input({ container: { working_dir: '/w' } })).spec.process.cwd, '/w');
    const i = input();
    i.image = { Cmd: ['sh'], WorkingDir: '/img' };
    assert.equal(buildSpec(i).spec.process.cwd, '/img');
    assert.equal(buildSpec(input()).spec.process.cwd, '/');
    invalid(() => buildSpec(input({ container: { working_dir: 'rel' } })), /not an absolute path/);
  });
});

describe('buildSpec user', () => {
  const cases: { name: string; sc?: LinuxContainerSecurityContext; imageUser?: string; want: { uid: number; gid: number; additionalGids: number[] } }[] = [
    { name: 'default root with its groups', want: { uid: 0, gid: 0, additionalGids: [0, 3000] } },
    { name: 'run_as_username', sc: { run_as_username: 'app' }, want: { uid: 1000, gid: 1000, additionalGids: [1000, 2000] } },
    { name: 'run_as_user known', sc: { run_as_user: { value: 1000 } }, want: { uid: 1000, gid: 1000, additionalGids: [1000, 2000] } },
    { name: 'run_as_user unknown', sc: { run_as_user: { value: 4242 } }, want: { uid: 4242, gid: 0, additionalGids: [0] } },
    { name: 'run_as_group overrides', sc: { run_as_user: { value: 1000 }, run_as_group: { value: 5 } }, want: { uid: 1000, gid: 5, additionalGids: [5, 2000] } },
    { name: 'supplemental groups appended', sc: { run_as_username: 'app', supplemental_groups: [7, 2000] }, want: { uid: 1000, gid: 1000, additionalGids: [1000, 2000, 7] } },
    { name: 'Strict policy skips /etc/group', sc: { run_as_username: 'app', supplemental_groups: [7], supplemental_groups_policy: 'Strict' }, want: { uid: 1000, gid: 1000, additionalGids: [1000, 7] } },
    { name: 'image user name:group', imageUser: 'app:extra', want: { uid: 1000, gid: 2000, additionalGids: [2000] } },
    { name: 'image user uid:gid', imageUser: '1000:1000', want: { uid: 1000, gid: 1000, additionalGids: [1000, 2000] } },
    { name: 'CRI user wins over image user', sc: { run_as_user: { value: 0 } }, imageUser: 'app', want: { uid: 0, gid: 0, additionalGids: [0, 3000] } },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const i = input({ sc: c.sc ?? {} });
      i.image = { Cmd: ['sh'], User: c.imageUser ?? '' };
      assert.deepEqual(buildSpec(i).spec.process.user, c.want);
    });
  }

  it('reports the username and refuses unknown names and groups', () => {
    assert.equal(buildSpec(input({ sc: { run_as_user: { value: 1000 } } })).user.username, 'app');
    invalid(() => buildSpec(input({ sc: { run_as_username: 'ghost' } })), /user "ghost" cannot be resolved/);
    const i = input();
    i.image = { Cmd: ['sh'], User: 'app:ghosts' };
    invalid(() => buildSpec(i), /group "ghosts" cannot be resolved/);
    invalid(() => buildSpec(input({ sc: { run_as_group: { value: 1 } } })), /run_as_group 1 is set without/);
    const noDb = input({ sc: { run_as_username: 'app' } });
    noDb.userDb = {};
    invalid(() => buildSpec(noDb), /the image has no \/etc\/passwd/);
  });
});

describe('buildSpec capabilities and confinement', () => {
  const caps = (sc: LinuxContainerSecurityContext): string[] => buildSpec(input({ sc })).spec.process.capabilities?.bounding ?? [];
  it('defaults to the upstream set', () => assert.deepEqual(caps({}), [...DEFAULT_CAPABILITIES]));
  it('adds and drops, accepting names with and without CAP_', () => {
    const got = caps({ capabilities: { add_capabilities: ['NET_ADMIN', 'cap_sys_time'], drop_capabilities: ['CAP_CHOWN', 'MKNOD'] } });
    assert.ok(got.includes('CAP_NET_ADMIN') && got.includes('CAP_SYS_TIME'));
    assert.ok(!got.includes('CAP_CHOWN') && !got.includes('CAP_MKNOD'));
  });
  it('drop ALL then add one', () => assert.deepEqual(caps({ capabilities: { drop_capabilities: ['ALL'], add_capabilities: ['NET_BIND_SERVICE'] } }), ['CAP_NET_BIND_SERVICE']));
  it('add ALL then drop one', () => {
    const got = caps({ capabilities: { add_capabilities: ['ALL'], drop_capabilities: ['CHOWN'] } });
    assert.equal(got.length, 40);
    assert.ok(!got.includes('CAP_CHOWN'));
  });
  it('refuses unknown capabilities', () => invalid(() => caps({ capabilities: { add_capabilities: ['FLY'] } }), /unknown capability "FLY"/));
  it('ambient capabilities go into every set', () => {
    const c = buildSpec(input({ sc: { capabilities: { drop_capabilities: ['ALL'], add_ambient_capabilities: ['NET_RAW'] } } })).spec.process.capabilities;
    assert.deepEqual(c, { bounding: ['CAP_NET_RAW'], effective: ['CAP_NET_RAW'], permitted: ['CAP_NET_RAW'], inheritable: ['CAP_NET_RAW'], ambient: ['CAP_NET_RAW'] });
  });

  it('unprivileged: masked/read-only paths, ro sysfs and cgroup, default device rules, no_new_privs, ro rootfs', () => {
    const s = buildSpec(input({ sc: { no_new_privs: true, readonly_rootfs: true } })).spec;
    assert.deepEqual(s.linux.maskedPaths, [...DEFAULT_MASKED_PATHS]);
    assert.deepEqual(s.linux.readonlyPaths, [...DEFAULT_READONLY_PATHS]);
    assert.ok(s.mounts.find((m) => m.destination === '/sys')?.options?.includes('ro'));
    assert.ok(s.mounts.find((m) => m.destination === '/sys/fs/cgroup')?.options?.includes('ro'));
    assert.deepEqual(s.linux.resources?.devices?.[0], { allow: false, access: 'rwm' });
    assert.deepEqual(s.linux.devices?.map((d) => d.path), ['/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/tty']);
    assert.equal(s.process.noNewPrivileges, true);
    assert.equal(s.root.readonly, true);
  });

  it('CRI masked/readonly lists replace the defaults', () => {
    const s = buildSpec(input({ sc: { masked_paths: ['/proc/x'], readonly_paths: ['/proc/y'] } })).spec;
    assert.deepEqual([s.linux.maskedPaths, s.linux.readonlyPaths], [['/proc/x'], ['/proc/y']]);
  });

  it('privileged: all caps, no masks, rw sysfs, all devices, no seccomp; only in a privileged sandbox', () => {
    const sandbox: PodSandboxConfig = { hostname: 'h', linux: { security_context: { privileged: true } } };
    const dev = { type: 'c' as const, path: '/dev/kvm', major: 10, minor: 232 };
    const s = buildSpec(input({ sandbox, sc: { privileged: true, seccomp: { profile_type: 'RuntimeDefault' } }, rest: { hostDevices: [dev] } })).spec;
    assert.equal(s.process.capabilities?.bounding.length, 41);
    assert.deepEqual([s.linux.maskedPaths, s.linux.readonlyPaths], [[], []]);
    assert.ok(s.mounts.find((m) => m.destination === '/sys')?.options?.includes('rw'));
    assert.deepEqual(s.linux.resources?.devices, [{ allow: true, access: 'rwm' }]);
    assert.deepEqual(s.linux.devices, [dev]);
    assert.equal(s.linux.seccomp, undefined);
    invalid(() => buildSpec(input({ sc: { privileged: true } })), /sandbox that is not privileged/);
  });

  it('seccomp: unset and Unconfined mean none; RuntimeDefault is an errno allowlist', () => {
    assert.equal(buildSpec(input()).spec.linux.seccomp, undefined);
    assert.equal(buildSpec(input({ sc: { seccomp: { profile_type: 'Unconfined' } } })).spec.linux.seccomp, undefined);
    for (const sc of [{ seccomp: { profile_type: 'RuntimeDefault' as const } }, { seccomp_profile_path: 'runtime/default' }, { seccomp: { profile_type: 0 } }]) {
      const p = buildSpec(input({ sc })).spec.linux.seccomp;
      assert.equal(p?.defaultAction, 'SCMP_ACT_ERRNO');
      assert.equal(p?.defaultErrnoRet, 1);
      const allowed = p?.syscalls?.[0]?.names ?? [];
      assert.ok(allowed.includes('read') && !allowed.includes('mount') && !allowed.includes('clone') && !allowed.includes('reboot'));
      assert.ok(p?.syscalls?.some((r) => r.names.includes('clone') && r.args?.[0]?.op === 'SCMP_CMP_MASKED_EQ'));
      assert.ok(p?.syscalls?.some((r) => r.names.includes('clone3') && r.errnoRet === 38));
    }
  });

  it('seccomp: capabilities unlock their syscalls', () => {
    const p = buildSpec(input({ sc: { seccomp: { profile_type: 'RuntimeDefault' }, capabilities: { add_capabilities: ['SYS_ADMIN'] } } })).spec.linux.seccomp;
    const allowed = p?.syscalls?.[0]?.names ?? [];
    assert.ok(allowed.includes('mount') && allowed.includes('clone') && allowed.includes('clone3'));
    assert.ok(!p?.syscalls?.some((r) => r.errnoRet === 38));
  });

  it('seccomp: Localhost needs the loaded profile', () => {
    invalid(() => buildSpec(input({ sc: { seccomp: { profile_type: 'Localhost', localhost_ref: '/p.json' } } })), /was requested but not loaded/);
    const prof = { defaultAction: 'SCMP_ACT_ALLOW' as const };
    assert.deepEqual(buildSpec(input({ sc: { seccomp_profile_path: 'localhost//p.json' }, rest: { localhostSeccomp: prof } })).spec.linux.seccomp, prof);
    invalid(() => buildSpec(input({ sc: { seccomp_profile_path: 'bogus' } })), /unsupported seccomp profile/);
  });

  it('apparmor: omitted on a host without it; profiles when the host has it', () => {
    assert.equal(buildSpec(input({ sc: { apparmor: { profile_type: 'Localhost', localhost_ref: 'p' } } })).spec.process.apparmorProfile, undefined);
    const host = { ...HOST, apparmor: true, apparmorDefaultProfile: 'skiff-default' };
    assert.equal(buildSpec(input({ rest: { host } })).spec.process.apparmorProfile, 'skiff-default');
    assert.equal(buildSpec(input({ sc: { apparmor: { profile_type: 'Localhost', localhost_ref: 'localhost/p' } }, rest: { host } })).spec.process.apparmorProfile, 'p');
    assert.equal(buildSpec(input({ sc: { apparmor_profile: 'unconfined' }, rest: { host } })).spec.process.apparmorProfile, 'unconfined');
  });
});

describe('buildSpec mounts', () => {
  const runtimeMounts = { etcHosts: '/pod/hosts', resolvConf: '/pod/resolv.conf', hostname: '/pod/hostname', devShm: '/pod/shm' };
  it('adds the runtime files as binds (ro with a read-only rootfs) replacing the default /dev/shm', () => {
    const s = buildSpec(input({ sc: { readonly_rootfs: true }, rest: { runtimeMounts } })).spec;
    const byDst = new Map(s.mounts.map((m) => [m.destination, m]));
    assert.deepEqual(byDst.get('/etc/hosts'), { destination: '/etc/hosts', type: 'bind', source: '/pod/hosts', options: ['rbind', 'rprivate', 'ro'] });
    assert.deepEqual(byDst.get('/dev/shm'), { destination: '/dev/shm', type: 'bind', source: '/pod/shm', options: ['rbind', 'rprivate', 'rw'] });
    assert.equal(s.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
    assert.deepEqual(s.mounts.slice(0, 3).map((m) => m.destination), ['/proc', '/dev', '/dev/pts']);
  });

  it('CRI mounts win over runtime mounts, are ordered parents first, and set rootfs propagation', () => {
    const mounts = [
      { container_path: '/data/sub', host_path: '/h/sub', readonly: true, propagation: 'PROPAGATION_HOST_TO_CONTAINER' as const },
      { container_path: '/etc/hosts', host_path: '/mine/hosts' },
      { container_path: '/data', host_path: '/h/data', propagation: 2 },
    ];
    const s = buildSpec(input({ container: { mounts }, rest: { runtimeMounts } })).spec;
    const binds = s.mounts.filter((m) => m.type === 'bind').map((m) => `${m.destination}<-${m.source}:${m.options?.join(',')}`);
    assert.deepEqual(binds, [
      '/data<-/h/data:rbind,rshared,rw',
      '/data/sub<-/h/sub:rbind,rslave,ro',
      '/etc/hosts<-/mine/hosts:rbind,rprivate,rw',
      '/etc/hostname<-/pod/hostname:rbind,rprivate,rw',
      '/etc/resolv.conf<-/pod/resolv.conf:rbind,rprivate,rw',
      '/dev/shm<-/pod/shm:rbind,rprivate,rw',
    ]);
    assert.equal(s.linux.rootfsPropagation, 'rshared');
  });

  it('a CRI /dev mount replaces every default under /dev', () => {
    const s = buildSpec(input({ container: { mounts: [{ container_path: '/dev', host_path: '/dev' }] } })).spec;
    assert.deepEqual(s.mounts.filter((m) => m.destination.startsWith('/dev')).map((m) => m.type), ['bind']);
  });

  it('refuses relative, duplicate and recursive read-only mounts', () => {
    invalid(() => buildSpec(input({ container: { mounts: [{ container_path: 'x', host_path: '/h' }] } })), /must be an absolute path/);
    invalid(() => buildSpec(input({ container: { mounts: [{ container_path: '/x', host_path: 'h' }] } })), /host_path "h" must be an absolute path/);
    invalid(() => buildSpec(input({ container: { mounts: [{ container_path: '/x', host_path: '/a' }, { container_path: '/x/', host_path: '/b' }] } })), /duplicate mount destination \/x/);
    invalid(() => buildSpec(input({ container: { mounts: [{ container_path: '/x', host_path: '/a', readonly: true, recursive_read_only: true }] } })), /recursive read-only/);
  });
});

describe('buildSpec resources', () => {
  const cases: { name: string; r: LinuxContainerResources; host?: Partial<HostFeatures>; pids?: number; want: object; warnings?: number }[] = [
    { name: 'nothing set', r: {}, want: {} },
    { name: 'cpu', r: { cpu_shares: 512, cpu_quota: 50000, cpu_period: 100000, cpuset_cpus: '0-1', cpuset_mems: '0' }, want: { cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1', mems: '0' } } },
    { name: 'memory limit sets swap = limit', r: { memory_limit_in_bytes: 20 << 20 }, want: { memory: { limit: 20 << 20, swap: 20 << 20 } } },
    { name: 'no swap accounting, no swap', r: { memory_limit_in_bytes: 1024 }, host: { swapAccounting: false }, want: { memory: { limit: 1024 } } },
    { name: 'explicit swap', r: { memory_limit_in_bytes: 1024, memory_swap_limit_in_bytes: 4096 }, want: { memory: { limit: 1024, swap: 4096 } } },
    { name: 'pids', r: {}, pids: 100, want: { pids: { limit: 100 } } },
    { name: 'hugepages without hugetlb are dropped', r: { hugepage_limits: [{ page_size: '2MB', limit: 4 << 20 }] }, want: {}, warnings: 1 },
    { name: 'hugepages with hugetlb', r: { hugepage_limits: [{ page_size: '2MB', limit: 4 << 20 }] }, host: { hugetlb: true }, want: { hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] } },
    { name: 'unified on v1 is dropped', r: { unified: { 'memory.high': '1' } }, want: {}, warnings: 1 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = buildSpec(input({ resources: c.r, rest: { host: { ...HOST, ...c.host }, pidsLimit: c.pids } }));
      const { devices: _devices, ...rest } = r.spec.linux.resources ?? {};
      assert.deepEqual(rest, c.want);
      assert.equal(r.warnings.length, c.warnings ?? 0);
    });
  }

  it('refuses bad values', () => {
    invalid(() => buildSpec(input({ resources: { cpu_shares: -1 } })), /cpu_shares must be an integer >= 0/);
    invalid(() => buildSpec(input({ resources: { cpuset_cpus: 'all' } })), /cpuset_cpus "all"/);
    invalid(() => buildSpec(input({ resources: { memory_limit_in_bytes: 4096, memory_swap_limit_in_bytes: 1024 } })), /below memory_limit_in_bytes/);
    invalid(() => buildSpec(input({ resources: { hugepage_limits: [{ page_size: 'huge', limit: 1 }] }, rest: { host: { ...HOST, hugetlb: true } } })), /page_size "huge"/);
  });

  const oom: { requested: number; floor: number; want: number }[] = [
    { requested: 0, floor: 0, want: 0 },
    { requested: -998, floor: 0, want: 0 },
    { requested: 1000, floor: 0, want: 1000 },
    { requested: 500, floor: 600, want: 600 },
    { requested: -500, floor: -999, want: -500 },
    { requested: -1000, floor: -1000, want: -1000 },
  ];
  for (const c of oom) {
    it(`oom_score_adj ${c.requested} with host floor ${c.floor} → ${c.want}`, () => {
      const s = buildSpec(input({ resources: { oom_score_adj: c.requested }, rest: { host: { ...HOST, oomScoreAdjMin: c.floor } } })).spec;
      assert.equal(s.process.oomScoreAdj, c.want);
    });
  }
  it('refuses oom_score_adj outside [-1000, 1000]', () => {
    invalid(() => buildSpec(input({ resources: { oom_score_adj: 1001 } })), /between -1000 and 1000/);
    invalid(() => buildSpec(input({ resources: { oom_score_adj: -1001 } })), /oom_score_adj must be an integer >= -1000/);
  });
});

describe('buildSpec linux', () => {
  it('joins sandbox namespaces by path, creates the rest, omits host ones', () => {
    const s = buildSpec(input()).spec;
    assert.deepEqual(s.linux.namespaces, [{ type: 'pid' }, { type: 'network', path: '/run/netns/s1' }, { type: 'ipc', path: '/proc/10/ns/ipc' }, { type: 'uts', path: '/proc/10/ns/uts' }, { type: 'mount' }]);
    assert.equal(s.hostname, undefined);
    const host = buildSpec(input({ rest: { namespaces: { network: 'host', ipc: 'host', uts: 'new', pid: 'host' } } })).spec;
    assert.deepEqual(host.linux.namespaces, [{ type: 'uts' }, { type: 'mount' }]);
    assert.equal(host.hostname, 'pod-host');
    invalid(() => buildSpec(input({ rest: { namespaces: { network: 'pod' as 'new', ipc: 'new', uts: 'new', pid: 'new' } } })), /network namespace "pod"/);
  });

  it('cgroupsPath under the sandbox parent, else /skiff', () => {
    assert.equal(buildSpec(input()).spec.linux.cgroupsPath, '/kubepods/podu1/c1');
    assert.equal(buildSpec(input({ sandbox: {} })).spec.linux.cgroupsPath, '/skiff/c1');
    assert.equal(buildSpec(input({ rest: { cgroupParent: '/x' } })).spec.linux.cgroupsPath, '/x/c1');
  });

  it('CRI devices from the lookup, with their cgroup rule', () => {
    const lookup = { '/dev/fuse': { type: 'c' as const, path: '/dev/fuse', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 } };
    const s = buildSpec(input({ container: { devices: [{ container_path: '/dev/f', host_path: '/dev/fuse', permissions: 'rw' }] }, rest: { deviceLookup: lookup } })).spec;
    assert.deepEqual(s.linux.devices?.at(-1), { ...lookup['/dev/fuse'], path: '/dev/f' });
    assert.deepEqual(s.linux.resources?.devices?.at(-1), { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' });
    invalid(() => buildSpec(input({ container: { devices: [{ container_path: '/dev/x', host_path: '/dev/nope' }] } })), /device \/dev\/nope was not found/);
  });

  it('sysctls, annotations, rootfs and version', () => {
    const s = buildSpec(input({ rest: { sysctls: { 'net.ipv4.ip_forward': '1' } } })).spec;
    assert.deepEqual(s.linux.sysctl, { 'net.ipv4.ip_forward': '1' });
    assert.equal(s.annotations?.['io.kubernetes.cri.sandbox-id'], 's1');
    assert.equal(s.annotations?.['io.kubernetes.cri.container-name'], 'web');
    assert.equal(s.annotations?.['io.kubernetes.cri.image-name'], 'docker.io/library/busybox:latest');
    assert.deepEqual(s.root, { path: '/var/lib/skiff/rootfs/c1', readonly: false });
    assert.equal(s.ociVersion, '1.0.2');
  });
});
