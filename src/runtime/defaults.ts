// Where a skiff runtime lives unless told otherwise: one place for the runtime itself and every
// command that starts, resets or inspects it (the CLI's flag definitions import this small
// module without loading the runtime).

/** Persistent state: images, snapshots, records. */
export const DEFAULT_RUNTIME_ROOT = '/var/lib/skiff/runtime';
/** Volatile state (tmpfs): runc roots, conmon exit files, netns mounts. */
export const DEFAULT_RUNTIME_STATE = '/run/skiff/runtime';
/** The CRI socket. */
export const DEFAULT_RUNTIME_SOCKET = '/run/skiff/cri.sock';
/** registries.yaml (k3s's format); a missing file means none. */
export const DEFAULT_REGISTRIES_FILE = '/etc/skiff/registries.yaml';
