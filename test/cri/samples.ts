// Fully populated sample messages built from the loaded CRI descriptor: every field carries a
// value different from its zero value (strings name their field, numbers derive from the field
// number, enums take their last value, repeated fields hold two items, maps two entries), so a
// message that survives encode → decode unchanged proves every field name and number is wired.

import type { PackageDefinition } from '@grpc/proto-loader';

import type { EnumDesc, FieldDesc, MessageDesc } from '../../src/cri/typegen.js';

export type Sample = Record<string, unknown>;

export class SampleBuilder {
  /** Every message name a sample was built for (to check that a test covered them all). */
  readonly covered = new Set<string>();
  private readonly messages = new Map<string, MessageDesc>();
  private readonly enums = new Map<string, EnumDesc>();

  constructor(pkg: PackageDefinition) {
    for (const [name, def] of Object.entries(pkg)) {
      const d = def as { format?: string; type?: unknown };
      if (!name.startsWith('runtime.v1.')) continue;
      if (d.format === 'Protocol Buffer 3 DescriptorProto') this.messages.set((d.type as MessageDesc).name, d.type as MessageDesc);
      if (d.format === 'Protocol Buffer 3 EnumDescriptorProto') this.enums.set((d.type as EnumDesc).name, d.type as EnumDesc);
    }
  }

  /** All top-level message names of the package. */
  messageNames(): string[] {
    return [...this.messages.keys()];
  }

  /** A fully populated sample of `message`; `salt` varies the values between samples. */
  build(message: string, salt = 1, depth = 0): Sample {
    const m = this.messages.get(message);
    if (!m) throw new Error(`no message ${message}`);
    if (depth > 12) throw new Error(`message nesting deeper than 12 at ${message}: a recursive type?`);
    this.covered.add(message);
    const out: Sample = {};
    for (const f of m.field) {
      const entry = m.nestedType.find((n) => n.name === f.typeName && n.options?.mapEntry);
      if (entry) {
        const value = entry.field.find((x) => x.name === 'value');
        if (!value) throw new Error(`bad map entry ${m.name}.${f.typeName}`);
        out[f.name] = Object.fromEntries([1, 2].map((i) => [`${f.name}-key-${i}`, this.scalar(entry, value, salt + i, depth)]));
      } else if (f.label === 'LABEL_REPEATED') {
        out[f.name] = [1, 2].map((i) => this.scalar(m, f, salt + i, depth));
      } else {
        out[f.name] = this.scalar(m, f, salt, depth);
      }
    }
    return out;
  }

  private scalar(parent: MessageDesc, f: FieldDesc, salt: number, depth: number): unknown {
    switch (f.type) {
      case 'TYPE_STRING':
        return `${parent.name}.${f.name}#${salt}`;
      case 'TYPE_BOOL':
        return true;
      case 'TYPE_BYTES':
        return Buffer.from(`${parent.name}.${f.name}#${salt}\u0000\u00ff`, 'latin1');
      case 'TYPE_INT32':
        return -(f.number * 1000 + salt); // negative: proves signed varint handling
      case 'TYPE_UINT32':
        return f.number * 1000 + salt;
      case 'TYPE_INT64':
        // Larger than 2^32 and negative; stays an exactly representable double.
        return -(f.number * 2 ** 40 + salt);
      case 'TYPE_UINT64':
        return f.number * 2 ** 40 + salt;
      case 'TYPE_ENUM': {
        const e = parent.enumType.find((x) => x.name === f.typeName) ?? this.enums.get(f.typeName);
        if (!e) throw new Error(`no enum ${f.typeName}`);
        return e.value[e.value.length - 1]!.name;
      }
      case 'TYPE_MESSAGE':
        return this.build(f.typeName, salt, depth + 1);
      default:
        throw new Error(`sample of ${f.type} (${parent.name}.${f.name}) not supported`);
    }
  }
}
