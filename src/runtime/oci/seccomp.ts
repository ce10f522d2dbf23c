// The RuntimeDefault seccomp profile: an allowlist (default action SCMP_ACT_ERRNO with EPERM),
// shaped like containerd's and Docker's default profile: a base set of ordinary syscalls, extra
// syscalls unlocked by the capabilities the container holds, `personality` limited to the safe
// personas, `clone` without namespace flags unless CAP_SYS_ADMIN, and `clone3` answering ENOSYS
// (so libc falls back to `clone`, whose flags can be inspected). The names are grouped by
// purpose; runc skips names its libseccomp does not know, so newer syscalls can be listed safely.

import type { OciSeccomp, SeccompSyscall } from './oci-types.js';

const EPERM = 1;
const ENOSYS = 38;

const BASE_SYSCALLS: readonly string[] = [
  // processes, threads, signals
  'arch_prctl', 'capget', 'capset', 'clone', 'execve', 'execveat', 'exit', 'exit_group', 'fork', 'vfork',
  'getpid', 'getppid', 'gettid', 'getpgid', 'getpgrp', 'getsid', 'setpgid', 'setsid', 'kill', 'tkill', 'tgkill',
  'wait4', 'waitid', 'waitpid', 'pidfd_open', 'pidfd_send_signal', 'pidfd_getfd', 'prctl', 'pause',
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo', 'sigaltstack', 'signalfd', 'signalfd4',
  'sigprocmask', 'sigreturn', 'restart_syscall', 'set_tid_address', 'set_robust_list', 'get_robust_list',
  'set_thread_area', 'get_thread_area', 'modify_ldt', 'rseq', 'membarrier', 'seccomp', 'landlock_add_rule',
  'landlock_create_ruleset', 'landlock_restrict_self', 'ptrace', 'kcmp', 'process_vm_readv',
  'process_vm_writev', 'process_madvise', 'process_mrelease',
  // credentials and limits
  'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32',
  'getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32', 'setuid', 'setuid32',
  'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32', 'setresuid', 'setresuid32',
  'setresgid', 'setresgid32', 'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32', 'setgroups', 'setgroups32',
  'getrlimit', 'ugetrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'getpriority', 'setpriority', 'umask',
  // scheduling and time
  'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr', 'sched_getparam',
  'sched_setparam', 'sched_getscheduler', 'sched_setscheduler', 'sched_get_priority_max',
  'sched_get_priority_min', 'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_yield', 'getcpu',
  'ioprio_get', 'ioprio_set', 'alarm', 'getitimer', 'setitimer', 'nanosleep', 'clock_nanosleep',
  'clock_nanosleep_time64', 'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64',
  'gettimeofday', 'time', 'times', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime',
  'timer_gettime64', 'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime',
  'timerfd_gettime64', 'timerfd_settime', 'timerfd_settime64', 'sysinfo', 'uname',
  // memory
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'mlock', 'mlock2',
  'mlockall', 'munlock', 'munlockall', 'remap_file_pages', 'memfd_create', 'memfd_secret', 'pkey_alloc',
  'pkey_free', 'pkey_mprotect', 'map_shadow_stack', 'mseal', 'cachestat',
  // futexes, events, polling
  'futex', 'futex_time64', 'futex_waitv', 'futex_wait', 'futex_wake', 'futex_requeue', 'epoll_create',
  'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'epoll_wait_old',
  'eventfd', 'eventfd2', 'poll', 'ppoll', 'ppoll_time64', 'select', '_newselect', 'pselect6',
  'pselect6_time64', 'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
  // files and directories
  'read', 'readv', 'pread64', 'preadv', 'preadv2', 'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'pipe', 'pipe2',
  'lseek', '_llseek', 'fcntl', 'fcntl64', 'ioctl', 'flock', 'fsync', 'fdatasync', 'sync', 'syncfs',
  'sync_file_range', 'fallocate', 'fadvise64', 'fadvise64_64', 'readahead', 'truncate', 'truncate64',
  'ftruncate', 'ftruncate64', 'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice', 'copy_file_range',
  'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx', 'statfs',
  'statfs64', 'fstatfs', 'fstatfs64', 'access', 'faccessat', 'faccessat2', 'chdir', 'fchdir', 'getcwd',
  'getdents', 'getdents64', 'mkdir', 'mkdirat', 'rmdir', 'mknod', 'mknodat', 'link', 'linkat', 'symlink',
  'symlinkat', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'readlink', 'readlinkat', 'chmod',
  'fchmod', 'fchmodat', 'fchmodat2', 'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown',
  'lchown32', 'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat', 'getxattr', 'lgetxattr',
  'fgetxattr', 'setxattr', 'lsetxattr', 'fsetxattr', 'listxattr', 'llistxattr', 'flistxattr', 'removexattr',
  'lremovexattr', 'fremovexattr',
  // sockets and IPC
  'socket', 'socketpair', 'socketcall', 'bind', 'connect', 'listen', 'accept', 'accept4', 'getsockname',
  'getpeername', 'getsockopt', 'setsockopt', 'send', 'sendto', 'sendmsg', 'sendmmsg', 'recv', 'recvfrom',
  'recvmsg', 'recvmmsg', 'recvmmsg_time64', 'shutdown', 'ipc', 'msgget', 'msgsnd', 'msgrcv', 'msgctl',
  'semget', 'semop', 'semtimedop', 'semtimedop_time64', 'semctl', 'shmget', 'shmat', 'shmdt', 'shmctl',
  'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedsend_time64', 'mq_timedreceive',
  'mq_timedreceive_time64', 'mq_notify', 'mq_getsetattr', 'getrandom',
];

/** Syscalls a capability unlocks (only when the container's bounding set holds it). */
const CAPABILITY_SYSCALLS: Readonly<Record<string, readonly string[]>> = {
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_ADMIN: ['bpf', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie',
    'mount', 'mount_setattr', 'move_mount', 'name_to_handle_at', 'open_tree', 'perf_event_open', 'quotactl',
    'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'umount', 'umount2', 'unshare'],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['delete_module', 'init_module', 'finit_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64', 'adjtimex', 'clock_adjtime', 'clock_adjtime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
};

/** CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP */
const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x02000000;

/** Personas a container may switch to: PER_LINUX, PER_LINUX32, UNAME26 variants, and the 0xffffffff query. */
const SAFE_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

function architectures(arch: string): string[] {
  switch (arch) {
    case 'x64':
      return ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];
    case 'arm64':
      return ['SCMP_ARCH_ARM', 'SCMP_ARCH_AARCH64'];
    case 's390x':
      return ['SCMP_ARCH_S390', 'SCMP_ARCH_S390X'];
    default:
      return [];
  }
}

/**
 * The RuntimeDefault profile for a container whose bounding capability set is `bounding`.
 * Deterministic: the same capabilities give the same profile (tests compare it).
 */
export function defaultSeccompProfile(bounding: readonly string[], arch: string = process.arch): OciSeccomp {
  const caps = new Set(bounding);
  const allowed = new Set(BASE_SYSCALLS);
  for (const [cap, names] of Object.entries(CAPABILITY_SYSCALLS)) {
    if (caps.has(cap)) for (const n of names) allowed.add(n);
  }
  const admin = caps.has('CAP_SYS_ADMIN');
  if (!admin) allowed.delete('clone'); // re-added below with a flags condition
  const syscalls: SeccompSyscall[] = [{ names: [...allowed], action: 'SCMP_ACT_ALLOW' }];
  for (const persona of SAFE_PERSONALITIES) {
    syscalls.push({ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: persona, op: 'SCMP_CMP_EQ' }] });
  }
  if (!admin) {
    // s390 passes clone's flags as the second argument.
    const index = arch === 's390x' ? 1 : 0;
    syscalls.push({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
    });
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: EPERM, architectures: architectures(arch), syscalls };
}
