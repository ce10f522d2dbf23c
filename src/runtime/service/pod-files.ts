// The files a pod's containers share, written into the sandbox directory before any container
// exists: /etc/hosts, /etc/resolv.conf, /etc/hostname, and the /dev/shm tmpfs. The rules are
// containerd's: the host's files for host-network pods, the DNS config when one is given.

import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import path from 'node:path';
import { CriError } from '../../cri/errors.js';
import type { DNSConfig } from '../../cri/types.js';
import { runTool } from '../mount.js';

export const SHM_SIZE_BYTES = 64 * 1024 * 1024;

export interface PodFiles {
  etcHosts: string;
  resolvConf: string;
  hostname: string;
  shm: string;
}

export function podFiles(dir: string): PodFiles {
  return {
    etcHosts: path.join(dir, 'hosts'),
    resolvConf: path.join(dir, 'resolv.conf'),
    hostname: path.join(dir, 'hostname'),
    shm: path.join(dir, 'shm'),
  };
}

/** resolv.conf text for a CRI DNSConfig, or undefined when the config asks for nothing. */
export function resolvConfText(dns: DNSConfig | null | undefined): string | undefined {
  if (!dns || (dns.servers.length === 0 && dns.searches.length === 0 && dns.options.length === 0)) return undefined;
  for (const s of dns.servers) {
    if (!/^[0-9a-fA-F:.]+$/.test(s)) throw CriError.invalidArgument(`dns_config: nameserver "${s}" is not an IP address`);
  }
  for (const s of [...dns.searches, ...dns.options]) {
    if (/\s/.test(s) || s === '') throw CriError.invalidArgument(`dns_config: "${s}" must be a non-empty word without spaces`);
  }
  const lines: string[] = [];
  if (dns.searches.length > 0) lines.push(`search ${dns.searches.join(' ')}`);
  for (const s of dns.servers) lines.push(`nameserver ${s}`);
  if (dns.options.length > 0) lines.push(`options ${dns.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

const LOCAL_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n';

export interface WritePodFilesInput {
  dir: string;
  hostNetwork: boolean;
  hostname: string;
  dns: DNSConfig | null | undefined;
}

/** Writes hosts, resolv.conf and hostname into the sandbox dir; returns the hostname used. */
export async function writePodFiles(input: WritePodFilesInput): Promise<string> {
  const f = podFiles(input.dir);
  await mkdir(input.dir, { recursive: true, mode: 0o711 });
  const name = input.hostNetwork ? osHostname() : input.hostname || 'localhost';
  const resolv = resolvConfText(input.dns);
  await Promise.all([
    input.hostNetwork ? copyFile('/etc/hosts', f.etcHosts).catch(() => writeFile(f.etcHosts, LOCAL_HOSTS)) : writeFile(f.etcHosts, LOCAL_HOSTS, { mode: 0o644 }),
    resolv !== undefined ? writeFile(f.resolvConf, resolv, { mode: 0o644 }) : copyFile('/etc/resolv.conf', f.resolvConf).catch(() => writeFile(f.resolvConf, '')),
    writeFile(f.hostname, `${name}\n`, { mode: 0o644 }),
  ]);
  return name;
}

/** Adds "<ip> <hostname>" to the pod's hosts file once the IP is known. */
export async function addHostsEntry(dir: string, ip: string, hostname: string): Promise<void> {
  if (!ip || !hostname) return;
  await writeFile(podFiles(dir).etcHosts, `${LOCAL_HOSTS}${ip}\t${hostname}\n`, { mode: 0o644 });
}

/** Mounts the pod's private /dev/shm (a tmpfs, like docker's and containerd's 64 MiB default). */
export async function mountShm(dir: string): Promise<string> {
  const shm = podFiles(dir).shm;
  await mkdir(shm, { recursive: true, mode: 0o1777 });
  await runTool('mount', ['-t', 'tmpfs', '-o', `nosuid,nodev,noexec,mode=1777,size=${SHM_SIZE_BYTES}`, 'shm', shm]);
  return shm;
}

