// Loads skiff's CRI v1 definition (api.proto) with @grpc/proto-loader, once per process.
//
// Decoding choices, shared by the client and the server so both sides see the same shapes
// (the TypeScript types in types.ts are generated from these same choices):
// - keepCase: field names stay snake_case exactly as in the .proto (`pod_sandbox_id`), so a
//   message logged or dumped as JSON reads like crictl's output and upstream documentation.
// - longs: Number. int64/uint64 decode to JS numbers. Every CRI quantity (bytes, cpu shares,
//   ids, seconds) fits in 2^53; nanosecond timestamps (~1.7e18) keep ~256 ns precision, which
//   no CRI consumer relies on. An integral JS number round-trips exactly.
// - enums: String. Enums decode to their names (`'SANDBOX_READY'`), typed as string unions.
//   Names or numbers are both accepted when encoding. A value unknown to this .proto (a newer
//   peer) decodes as its number.
// - defaults: true (with arrays and objects). Absent scalars decode to their zero value,
//   absent repeated fields to [], absent maps to {}, absent messages to null — so readers
//   never test for undefined on scalars, exactly as Go's generated getters behave.
// - bytes decode to Buffer.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import type { PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';

export const CRI_PACKAGE = 'runtime.v1';
export const RUNTIME_SERVICE = `${CRI_PACKAGE}.RuntimeService`;
export const IMAGE_SERVICE = `${CRI_PACKAGE}.ImageService`;

/** Largest message either side accepts: ExecSync may return 16 MiB per output stream. */
export const CRI_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: false,
};

/**
 * Where api.proto is: next to this module when the build copied it or when sources run
 * directly (tsx), else in the source tree, which compiled output under `dist*\/src/cri/`
 * sits three levels below.
 */
export function protoPath(): string {
  const candidates = [new URL('./api.proto', import.meta.url), new URL('../../../src/cri/api.proto', import.meta.url)];
  for (const u of candidates) {
    const p = fileURLToPath(u);
    if (existsSync(p)) return p;
  }
  throw new Error(`CRI definition api.proto not found (looked at ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
}

export interface CriDefinition {
  /** Every message, enum and service of the package, keyed by full name (`runtime.v1.Mount`). */
  pkg: PackageDefinition;
  runtime: ServiceDefinition;
  image: ServiceDefinition;
}

let loaded: CriDefinition | undefined;

/** The loaded definition; parsing happens on first use (~50 ms) and is cached. */
export function criDefinition(): CriDefinition {
  if (loaded) return loaded;
  const pkg = protoLoader.loadSync(protoPath(), LOADER_OPTIONS);
  loaded = { pkg, runtime: pkg[RUNTIME_SERVICE] as ServiceDefinition, image: pkg[IMAGE_SERVICE] as ServiceDefinition };
  return loaded;
}
