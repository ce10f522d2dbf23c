// The OCI layer of skiff's runtime: CRI config → OCI runtime spec (buildSpec), and containers
// run under conmon + runc/runsc (OciRuntime). See each module for its contract.

export * from './cri-types.js';
export * from './oci-types.js';
export { buildSpec, OCI_VERSION, type BuildSpecInput, type BuildSpecResult, type ContainerNamespaces, type NamespaceRef } from './spec.js';
export { detectHostFeatures, listHostDevices, lookupDevice, type HostFeatures } from './host.js';
export { loadUserDb, parseGroup, parsePasswd, resolveUser, type ResolvedUser, type UserDb } from './user.js';
export { resolveInRoot } from './rootpath.js';
export { seccompChoice, readSeccompProfile, buildCapabilities, type ProfileChoice } from './security.js';
export { defaultSeccompProfile } from './seccomp.js';
export type { RuntimeMounts } from './mounts.js';
export { buildResources, type ResourcesResult } from './resources.js';
export { OciRuntime, UNKNOWN_EXIT_CODE, type ContainerHandle, type ContainerRuntimeStatus, type ContainerState, type CreateOptions, type OciRuntimeOptions } from './runtime.js';
export type { ExecSyncOptions, ExecSyncResult } from './exec.js';
export { RuncCli, type RuncState } from './runc.js';
export { parseCriLog, parseCriLogLine, criLogLines, type CriLogEntry } from './log.js';
