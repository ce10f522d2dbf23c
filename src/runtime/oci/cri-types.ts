// The CRI fields the OCI spec builder reads, named exactly as the gRPC layer decodes them
// (snake_case, see src/cri/proto.ts: int64 as number, enums as their names). Every field is
// optional and every message may be null, so both the full generated types of src/cri/types.ts
// and hand-written test fixtures are assignable to these shapes. Enums also accept their wire
// numbers, in case a caller decodes without `enums: String`.

export interface Int64Value {
  value: number;
}

export interface KeyValue {
  key: string;
  value: string;
}

/** CRI MountPropagation: 0 private, 1 host-to-container, 2 bidirectional. */
export type MountPropagation = 'PROPAGATION_PRIVATE' | 'PROPAGATION_HOST_TO_CONTAINER' | 'PROPAGATION_BIDIRECTIONAL' | number;

export interface CriMount {
  container_path: string;
  host_path: string;
  readonly?: boolean;
  selinux_relabel?: boolean;
  propagation?: MountPropagation;
  recursive_read_only?: boolean;
}

export interface CriDevice {
  container_path: string;
  host_path: string;
  /** Cgroup permissions, any of "r", "w", "m"; empty means "rwm" (as containerd). */
  permissions?: string;
}

export interface Capability {
  add_capabilities?: string[];
  drop_capabilities?: string[];
  add_ambient_capabilities?: string[];
}

/** CRI SecurityProfile.ProfileType: 0 RuntimeDefault, 1 Unconfined, 2 Localhost. */
export type ProfileType = 'RuntimeDefault' | 'Unconfined' | 'Localhost' | number;

export interface SecurityProfile {
  profile_type?: ProfileType;
  localhost_ref?: string;
}

/** CRI NamespaceMode: 0 POD, 1 CONTAINER, 2 NODE, 3 TARGET. */
export type NamespaceMode = 'POD' | 'CONTAINER' | 'NODE' | 'TARGET' | number;

export interface NamespaceOption {
  network?: NamespaceMode;
  pid?: NamespaceMode;
  ipc?: NamespaceMode;
  target_id?: string;
}

export interface LinuxContainerSecurityContext {
  capabilities?: Capability | null;
  privileged?: boolean;
  namespace_options?: NamespaceOption | null;
  run_as_user?: Int64Value | null;
  run_as_username?: string;
  run_as_group?: Int64Value | null;
  readonly_rootfs?: boolean;
  supplemental_groups?: number[];
  /** 'Merge' (default): groups from the image's /etc/group are added; 'Strict': they are not. */
  supplemental_groups_policy?: 'Merge' | 'Strict' | number;
  /** Deprecated string forms: "runtime/default", "unconfined", "localhost/<name>". */
  apparmor_profile?: string;
  /** Deprecated string forms: "runtime/default", "docker/default", "unconfined", "localhost/<path>". */
  seccomp_profile_path?: string;
  no_new_privs?: boolean;
  masked_paths?: string[];
  readonly_paths?: string[];
  seccomp?: SecurityProfile | null;
  apparmor?: SecurityProfile | null;
}

export interface HugepageLimit {
  /** As kubelet sends it, e.g. "2MB", "1GB". */
  page_size: string;
  limit: number;
}

export interface LinuxContainerResources {
  cpu_period?: number;
  cpu_quota?: number;
  cpu_shares?: number;
  memory_limit_in_bytes?: number;
  oom_score_adj?: number;
  cpuset_cpus?: string;
  cpuset_mems?: string;
  hugepage_limits?: HugepageLimit[];
  unified?: Record<string, string>;
  memory_swap_limit_in_bytes?: number;
}

export interface LinuxContainerConfig {
  resources?: LinuxContainerResources | null;
  security_context?: LinuxContainerSecurityContext | null;
}

export interface ContainerMetadata {
  name: string;
  attempt?: number;
}

export interface ContainerConfig {
  metadata?: ContainerMetadata | null;
  image?: { image: string } | null;
  command?: string[];
  args?: string[];
  working_dir?: string;
  envs?: KeyValue[];
  mounts?: CriMount[];
  devices?: CriDevice[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  log_path?: string;
  stdin?: boolean;
  stdin_once?: boolean;
  tty?: boolean;
  linux?: LinuxContainerConfig | null;
}

export interface PodSandboxMetadata {
  name: string;
  uid?: string;
  namespace?: string;
  attempt?: number;
}

export interface LinuxPodSandboxConfig {
  cgroup_parent?: string;
  sysctls?: Record<string, string>;
  security_context?: { namespace_options?: NamespaceOption | null; privileged?: boolean } | null;
}

export interface PodSandboxConfig {
  metadata?: PodSandboxMetadata | null;
  hostname?: string;
  log_directory?: string;
  linux?: LinuxPodSandboxConfig | null;
}

/** The parts of an OCI image config (`config` object of the image config JSON) that shape the process. */
export interface ImageProcessConfig {
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  User?: string;
  WorkingDir?: string;
  StopSignal?: string;
}
