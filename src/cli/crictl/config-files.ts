// Pod and container config files for `runp` and `create`, read as crictl reads them: JSON or
// YAML, CRI field names (snake_case; lowerCamelCase accepted too), a pod's metadata needs name
// and namespace (a missing uid is generated), a container's metadata needs a name.

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { ContainerConfig, Input, PodSandboxConfig } from '../../cri/types.js';
import { fromConfigDocument } from './protojson.js';

async function readDocument(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`config at ${path} not found`);
    throw new Error(`reading config ${path}: ${(err as Error).message}`);
  }
  try {
    // YAML is a superset of JSON: one parser reads both.
    return parseYaml(text) as unknown;
  } catch (err) {
    throw new Error(`config ${path} is neither valid JSON nor YAML: ${(err as Error).message}`);
  }
}

function warnTo(path: string): (msg: string) => void {
  return (msg) => process.stderr.write(`WARN ${path}: ${msg}\n`);
}

export async function loadPodSandboxConfig(path: string, warn = warnTo(path)): Promise<Input<PodSandboxConfig>> {
  const config = fromConfigDocument(await readDocument(path), 'PodSandboxConfig', warn) as Input<PodSandboxConfig>;
  const md = config.metadata;
  if (md === undefined || md === null) throw new Error(`load podSandboxConfig ${path}: metadata is not set`);
  if (!md.uid) md.uid = randomUUID();
  if (!md.name || !md.namespace) throw new Error(`load podSandboxConfig ${path}: name or namespace is not in metadata ${JSON.stringify(md)}`);
  if (config.linux !== undefined && config.linux !== null && !config.linux.cgroup_parent) {
    warn('cgroup_parent is not set; the runtime chooses the pod cgroup');
  }
  return config;
}

export async function loadContainerConfig(path: string, warn = warnTo(path)): Promise<Input<ContainerConfig>> {
  const config = fromConfigDocument(await readDocument(path), 'ContainerConfig', warn) as Input<ContainerConfig>;
  if (config.metadata === undefined || config.metadata === null) throw new Error(`load containerConfig ${path}: metadata is not set`);
  if (!config.metadata.name) throw new Error(`load containerConfig ${path}: name is not in metadata ${JSON.stringify(config.metadata)}`);
  return config;
}
