// Security settings of the spec: capabilities, seccomp, AppArmor, masked and read-only paths.
// Rules follow containerd's CRI plugin: "ALL" in add/drop is applied first so that individual
// entries still refine it; privileged containers get every capability and no confinement.

import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { CriError } from '../../cri/errors.js';
import type { LinuxContainerSecurityContext, ProfileType, SecurityProfile } from './cri-types.js';
import { ALL_CAPABILITIES, DEFAULT_CAPABILITIES, DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS } from './defaults.js';
import type { OciCapabilities, OciSeccomp } from './oci-types.js';
import { defaultSeccompProfile } from './seccomp.js';

/** "net_admin", "NET_ADMIN" and "CAP_NET_ADMIN" all name CAP_NET_ADMIN; unknown names are refused. */
export function normalizeCapability(name: string, known: readonly string[] = ALL_CAPABILITIES): string {
  const upper = name.trim().toUpperCase();
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!known.includes(full)) throw CriError.invalidArgument(`unknown capability "${name}"`);
  return full;
}

/**
 * The capability sets. `capLastCap` (from /proc/sys/kernel/cap_last_cap) limits the names known
 * to what the host kernel knows; "all" (ALL in add, privileged) is `current` — the runtime's own
 * effective set (HostFeatures.currentCapabilities) — when given, else every known capability.
 * Ambient capabilities are added to every set so they survive exec.
 */
export function buildCapabilities(sc: LinuxContainerSecurityContext | null | undefined, capLastCap: number, current?: readonly string[]): OciCapabilities {
  const known = ALL_CAPABILITIES.slice(0, capLastCap + 1);
  const all = current ? known.filter((c) => current.includes(c)) : known;
  let caps: string[];
  if (sc?.privileged) caps = [...all];
  else {
    const add = sc?.capabilities?.add_capabilities ?? [];
    const drop = sc?.capabilities?.drop_capabilities ?? [];
    const isAll = (c: string): boolean => c.trim().toUpperCase() === 'ALL';
    caps = [...DEFAULT_CAPABILITIES];
    if (add.some(isAll)) caps = [...all];
    if (drop.some(isAll)) caps = [];
    for (const c of add) {
      if (isAll(c)) continue;
      const full = normalizeCapability(c, known);
      if (!caps.includes(full)) caps.push(full);
    }
    for (const c of drop) {
      if (isAll(c)) continue;
      const full = normalizeCapability(c, known);
      caps = caps.filter((x) => x !== full);
    }
  }
  const ambient = (sc?.capabilities?.add_ambient_capabilities ?? []).map((c) => normalizeCapability(c, known));
  for (const c of ambient) if (!caps.includes(c)) caps.push(c);
  const out: OciCapabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };
  if (ambient.length > 0) {
    out.inheritable = [...ambient];
    out.ambient = [...ambient];
  }
  return out;
}

export type ProfileChoice = { kind: 'unconfined' } | { kind: 'runtime-default' } | { kind: 'localhost'; ref: string };

function profileKind(t: ProfileType | undefined): 'runtime-default' | 'unconfined' | 'localhost' {
  if (t === 'Unconfined' || t === 1) return 'unconfined';
  if (t === 'Localhost' || t === 2) return 'localhost';
  return 'runtime-default';
}

/** The profile a SecurityProfile or its deprecated string form asks for; unset means unconfined (containerd). */
function chooseProfile(profile: SecurityProfile | null | undefined, legacy: string | undefined, what: string): ProfileChoice {
  if (profile) {
    const kind = profileKind(profile.profile_type);
    if (kind !== 'localhost') return { kind };
    const ref = profile.localhost_ref ?? '';
    if (ref === '') throw CriError.invalidArgument(`${what} profile type Localhost needs a localhost_ref`);
    return { kind, ref: ref.replace(/^localhost\//, '') };
  }
  const s = legacy ?? '';
  if (s === '' || s === 'unconfined') return { kind: 'unconfined' };
  if (s === 'runtime/default' || s === 'docker/default') return { kind: 'runtime-default' };
  if (s.startsWith('localhost/')) return { kind: 'localhost', ref: s.slice('localhost/'.length) };
  throw CriError.invalidArgument(`unsupported ${what} profile "${s}": want runtime/default, unconfined or localhost/<ref>`);
}

/** Which seccomp profile the container asks for, so a caller can load a Localhost profile file first. */
export function seccompChoice(sc: LinuxContainerSecurityContext | null | undefined): ProfileChoice {
  if (sc?.privileged) return { kind: 'unconfined' };
  return chooseProfile(sc?.seccomp, sc?.seccomp_profile_path, 'seccomp');
}

/** Reads a Localhost seccomp profile (OCI seccomp JSON) from the node. */
export async function readSeccompProfile(path: string): Promise<OciSeccomp> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw CriError.invalidArgument(`cannot read seccomp profile ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw CriError.invalidArgument(`seccomp profile ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { defaultAction?: unknown }).defaultAction !== 'string') {
    throw CriError.invalidArgument(`seccomp profile ${path} has no defaultAction`);
  }
  return parsed as OciSeccomp;
}

/** Where relative Localhost seccomp refs are looked up (kubelet's default seccomp root); absolute refs are used as they are. */
export const SECCOMP_ROOT = '/var/lib/kubelet/seccomp';

/**
 * The Localhost profile `sc` asks for, read from the node, for buildSpec's localhostSeccomp;
 * undefined when it asks for another kind. Sandboxes and containers both load it this way
 * (containerd applies the pod's profile to the sandbox container too).
 */
export async function loadLocalhostSeccomp(sc: LinuxContainerSecurityContext | null | undefined): Promise<OciSeccomp | undefined> {
  const choice = seccompChoice(sc);
  return choice.kind === 'localhost' ? readSeccompProfile(resolvePath(SECCOMP_ROOT, choice.ref)) : undefined;
}

/** The spec's linux.seccomp, or undefined for unconfined. `localhost` is the loaded Localhost profile. */
export function buildSeccomp(sc: LinuxContainerSecurityContext | null | undefined, bounding: readonly string[], localhost: OciSeccomp | undefined): OciSeccomp | undefined {
  const choice = seccompChoice(sc);
  switch (choice.kind) {
    case 'unconfined':
      return undefined;
    case 'runtime-default':
      return defaultSeccompProfile(bounding);
    case 'localhost':
      if (!localhost) throw CriError.invalidArgument(`seccomp profile localhost/${choice.ref} was requested but not loaded`);
      return localhost;
  }
}

export interface AppArmorHost {
  apparmor: boolean;
  /** A profile loaded on the host to use for RuntimeDefault; without it RuntimeDefault runs unconfined. */
  apparmorDefaultProfile?: string;
}

/** process.apparmorProfile, or undefined: always undefined on a host without AppArmor (like this VM). */
export function buildAppArmor(sc: LinuxContainerSecurityContext | null | undefined, host: AppArmorHost): string | undefined {
  if (!host.apparmor || sc?.privileged) return undefined;
  // Unlike seccomp, an unset AppArmor profile means RuntimeDefault (kubernetes#51746, containerd).
  const unset = !sc?.apparmor && !sc?.apparmor_profile;
  const choice: ProfileChoice = unset ? { kind: 'runtime-default' } : chooseProfile(sc?.apparmor, sc?.apparmor_profile, 'apparmor');
  switch (choice.kind) {
    case 'unconfined':
      return 'unconfined';
    case 'runtime-default':
      return host.apparmorDefaultProfile;
    case 'localhost':
      return choice.ref;
  }
}

/** Masked and read-only paths: none when privileged, the CRI lists when given, else upstream's defaults. */
export function buildPathRestrictions(sc: LinuxContainerSecurityContext | null | undefined): { maskedPaths: string[]; readonlyPaths: string[] } {
  if (sc?.privileged) return { maskedPaths: [], readonlyPaths: [] };
  const masked = sc?.masked_paths ?? [];
  const ro = sc?.readonly_paths ?? [];
  return {
    maskedPaths: masked.length > 0 ? [...masked] : [...DEFAULT_MASKED_PATHS],
    readonlyPaths: ro.length > 0 ? [...ro] : [...DEFAULT_READONLY_PATHS],
  };
}
