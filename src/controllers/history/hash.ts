// Hashes that name ControllerRevisions and label pods, computed as upstream computes them: a
// 32-bit FNV-1a over the object, a collision count mixed in, and the decimal sum re-spelled in
// the "safe" alphabet (no vowels, no 0/1/3: no words, no look-alikes), e.g. `5d8f9c7b6d`.
//
// Upstream hashes Go's deep-printed structs; we hash canonical JSON (keys sorted), so the values
// differ from a real cluster's but have the same shape and the same stability: equal templates
// give equal hashes whatever order the API server serialised their fields in.

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** 32-bit FNV-1a, continuing from `seed` (default: the offset basis). */
export function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Upstream's rand.SafeEncodeString: each character mapped into the safe alphabet. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += safeAlphabet[(ch.codePointAt(0) ?? 0) % safeAlphabet.length];
  return out;
}

/** JSON with object keys sorted at every level: the same value always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Deep equality of JSON values, ignoring key order and undefined fields. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

const enc = new TextEncoder();

/**
 * controller.ComputeHash: the hash of a pod template, with the owner's collisionCount (if any)
 * mixed in as 4 little-endian bytes. DaemonSets name revisions and label pods with it.
 */
export function computeHash(template: unknown, collisionCount?: number | null): string {
  let h = fnv32a(enc.encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/**
 * history.HashControllerRevision: the hash of a revision's data, with the probe (collision
 * count) mixed in as its decimal text. StatefulSets name revisions with it.
 */
export function hashRevisionData(data: unknown, probe?: number | null): string {
  let h = fnv32a(enc.encode(canonicalJson(data ?? {})));
  if (probe !== undefined && probe !== null) h = fnv32a(enc.encode(String(probe)), h);
  return safeEncodeString(String(h));
}
