// The pod-template-hash that names a Deployment's ReplicaSets (`<deployment>-<hash>`) and labels
// their pods. Like upstream's ComputeHash it is a 32-bit FNV-1a, with the Deployment's
// collisionCount mixed in so a collision can be escaped, written in upstream's "safe" alphabet
// (no vowels, no look-alike digits). We hash the template's canonical JSON (keys sorted, null and
// empty values dropped) rather than Go's struct dump: the strings differ from a real cluster's,
// but equal templates always hash equal, whatever order their fields were serialised in.

import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with keys sorted; null, undefined, {} and [] members dropped (they mean "unset"). */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x ?? null)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const parts: string[] = [];
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (isUnset(x)) continue;
      parts.push(`${JSON.stringify(k)}:${canonicalJson(x)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function isUnset(x: unknown): boolean {
  if (x === undefined || x === null) return true;
  if (Array.isArray(x)) return x.length === 0;
  if (typeof x === 'object') return Object.values(x as object).every(isUnset);
  return false;
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

/** The hash of `template` (with `collisionCount` mixed in when set), e.g. `5d4f8c7b9`. */
export function podTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template)));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  let out = '';
  for (const ch of String(h)) out += safeAlphabet[(ch.codePointAt(0) ?? 0) % safeAlphabet.length];
  return out;
}
