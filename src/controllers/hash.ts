// The hashes controllers name and label their objects with, computed as upstream's
// controller.ComputeHash and history.HashControllerRevision: a 32-bit FNV-1a over the object,
// a collision count mixed in, and the decimal sum re-spelled in the "safe" alphabet (no vowels,
// no 0/1/3: no words, no look-alikes), e.g. `5d8f9c7b6d`.
//
// Upstream hashes Go's deep-printed structs; we hash canonical JSON (keys sorted), so the values
// differ from a real cluster's but have the same shape and the same stability: equal templates
// give equal hashes whatever order the API server serialised their fields in.
//
// Two canonical forms exist because names already stored depend on them: Deployments
// (pod-template-hash, `<deployment>-<hash>` ReplicaSets) hash with empty members omitted, so a
// template with `annotations: {}` hashes as one without; DaemonSets and StatefulSets
// (ControllerRevisions, controller-revision-hash) hash every member but undefined ones.

import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';

const safeAlphabet = 'bcdfghjklmnpqrstvwxz2456789';
const enc = new TextEncoder();

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

export interface CanonicalOptions {
  /** Also drop members that are null, [] or objects with nothing set ("unset" in Go's sense). */
  omitEmpty?: boolean;
}

/** JSON with object keys sorted at every level (undefined members dropped): the same value always gives the same text. */
export function canonicalJson(v: unknown, opts: CanonicalOptions = {}): string {
  if (Array.isArray(v)) return `[${v.map((x) => canonicalJson(x ?? null, opts)).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => (opts.omitEmpty ? !isUnset(o[k]) : o[k] !== undefined))
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k], opts)}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function isUnset(x: unknown): boolean {
  if (x === undefined || x === null) return true;
  if (Array.isArray(x)) return x.length === 0;
  if (typeof x === 'object') return Object.values(x as object).every(isUnset);
  return false;
}

/** Deep equality of JSON values, ignoring key order and undefined fields. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** FNV-1a of `text`, then the collision count as 4 little-endian bytes (when set), safe-encoded. */
function hashWithCollisionCount(text: string, collisionCount: number | null | undefined): string {
  let h = fnv32a(enc.encode(text));
  if (collisionCount !== undefined && collisionCount !== null) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}

/**
 * controller.ComputeHash as DaemonSets use it: the hash of a pod template (every member but
 * undefined ones), with the owner's collisionCount (if any) mixed in. Names revisions, labels pods.
 */
export function computeHash(template: unknown, collisionCount?: number | null): string {
  return hashWithCollisionCount(canonicalJson(template ?? {}), collisionCount);
}

/**
 * controller.ComputeHash as Deployments use it: the pod-template-hash of `template` (empty
 * members omitted, see above), with the Deployment's collisionCount (if any) mixed in.
 */
export function podTemplateHash(template: PodTemplateSpec, collisionCount?: number | null): string {
  return hashWithCollisionCount(canonicalJson(template, { omitEmpty: true }), collisionCount);
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
