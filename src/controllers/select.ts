// Which controllers run, from upstream's `--controllers` syntax: `*` means every controller,
// `name` enables one, `-name` disables one; later entries win over `*`.

import type { ControllerDescriptor } from './context.js';

export function selectControllers(all: ControllerDescriptor[], spec: string[]): ControllerDescriptor[] {
  const known = new Set(all.map((c) => c.name));
  const entries = spec.length === 0 ? ['*'] : spec;
  for (const e of entries) {
    const name = e.replace(/^-/, '');
    if (name !== '*' && !known.has(name)) throw new Error(`unknown controller ${JSON.stringify(name)}; known: ${[...known].sort().join(', ')}`);
  }
  const star = entries.includes('*');
  return all.filter((c) => !entries.includes(`-${c.name}`) && (star || entries.includes(c.name)));
}
