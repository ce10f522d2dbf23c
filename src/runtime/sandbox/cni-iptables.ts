// What the standard plugins leave in iptables' nat table, for verification and for `skiff reset`.
//
// Per attachment (removed by the plugins' own DEL):
//   bridge ipMasq: chain CNI-<sha512(network+containerId)[:24]> plus a POSTROUTING jump, both
//     commented `name: "<network>" id: "<containerId>"`;
//   portmap: chain CNI-DN-<same hash[:21]> plus a CNI-HOSTPORT-DNAT jump commented
//     `dnat name: "<network>" id: "<containerId>"`.
// Shared (portmap creates them and, by design, never deletes them): CNI-HOSTPORT-DNAT,
//   CNI-HOSTPORT-SETMARK, CNI-HOSTPORT-MASQ and their jumps from PREROUTING, OUTPUT, POSTROUTING.
// Both IPv4 (iptables) and IPv6 (ip6tables) tables are looked at.

import { createHash } from 'node:crypto';
import { runTool } from '../mount.js';

export const HOSTPORT_CHAINS = ['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-SETMARK', 'CNI-HOSTPORT-MASQ'] as const;

type Family = 'iptables' | 'ip6tables';
const FAMILIES: Family[] = ['iptables', 'ip6tables'];

/** The per-attachment chain names the bridge (masquerade) and portmap (DNAT) plugins use. */
export function attachmentChains(network: string, containerId: string): { masq: string; dnat: string } {
  const h = createHash('sha512').update(network + containerId).digest('hex');
  return { masq: `CNI-${h.slice(0, 24)}`, dnat: `CNI-DN-${h.slice(0, 21)}` };
}

/** `iptables-save -t nat` lines; empty when the nat table does not exist. */
export async function natRules(family: Family = 'iptables'): Promise<string[]> {
  // Without -t, *-save lists only tables that exist (and does not create an empty nat table).
  const { stdout } = await runTool(`${family}-save`, []);
  const lines = stdout.split('\n');
  const start = lines.indexOf('*nat');
  if (start < 0) return [];
  const end = lines.indexOf('COMMIT', start);
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l) => l !== '' && !l.startsWith('#'));
}

/** Every nat rule or chain, IPv4 and IPv6, that belongs to this attachment; [] after a clean DEL. */
export async function attachmentNatRules(network: string, containerId: string): Promise<string[]> {
  const { masq, dnat } = attachmentChains(network, containerId);
  const marker = `id: \\"${containerId}\\"`;
  const out: string[] = [];
  for (const family of FAMILIES) {
    for (const line of await natRules(family)) {
      if (line.includes(marker) || line.includes(masq) || line.includes(dnat)) out.push(`${family}: ${line}`);
    }
  }
  return out;
}

/**
 * Removes portmap's shared chains and their jumps when no attachment uses them any more (no rule
 * left in CNI-HOSTPORT-DNAT), in each family. portmap recreates them on its next ADD. Returns the
 * families cleaned.
 */
export async function removeIdleHostportChains(): Promise<Family[]> {
  const cleaned: Family[] = [];
  for (const family of FAMILIES) {
    const rules = await natRules(family);
    if (!rules.some((l) => l.startsWith(':CNI-HOSTPORT-'))) continue;
    if (rules.some((l) => l.startsWith('-A CNI-HOSTPORT-DNAT '))) continue; // still in use
    // Delete the jumps into the shared chains, then the chains themselves.
    for (const line of rules) {
      const m = /^-A (PREROUTING|OUTPUT|POSTROUTING) (.*-j (CNI-HOSTPORT-[A-Z]+))$/.exec(line);
      if (m === null) continue;
      await runTool(family, ['-w', '-t', 'nat', '-D', m[1] as string, ...splitRule(m[2] as string)]);
    }
    for (const chain of HOSTPORT_CHAINS) {
      if (!rules.some((l) => l.startsWith(`:${chain} `))) continue;
      await runTool(family, ['-w', '-t', 'nat', '-F', chain]);
      await runTool(family, ['-w', '-t', 'nat', '-X', chain]);
    }
    cleaned.push(family);
  }
  return cleaned;
}

/** Splits an iptables-save rule body into argv, honouring double quotes and \" escapes. */
export function splitRule(rule: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuotes = false;
  let has = false;
  for (let i = 0; i < rule.length; i++) {
    const c = rule[i] as string;
    if (c === '\\' && i + 1 < rule.length) {
      cur += rule[++i];
      has = true;
    } else if (c === '"') {
      inQuotes = !inQuotes;
      has = true;
    } else if (c === ' ' && !inQuotes) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}
