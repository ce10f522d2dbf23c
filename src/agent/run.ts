// The node agent: what runs on every node of a cluster. For now that is skiff's CRI runtime
// alone; the kubelet, which will drive it, joins in a later issue. `skiff agent` runs it by
// itself and `skiff server` runs it next to the control plane (as k3s's server runs its agent
// and containerd), unless --disable-agent.

import { startRuntime, type Runtime, type RuntimeOptions } from '../runtime/service/service.js';

export interface AgentOptions {
  runtime: RuntimeOptions;
}

export interface RunningAgent {
  runtime: Runtime;
  /** Stops the agent's servers; running containers keep running (conmon holds them). */
  stop(): Promise<void>;
}

/** Starts the agent's parts and logs `skiff runtime ready: ...` once the CRI socket answers. */
export async function startAgent(opts: AgentOptions, log: (m: string) => void): Promise<RunningAgent> {
  const runtime = await startRuntime({ warn: (m) => log(`skiff runtime: ${m}`), ...opts.runtime });
  log(`skiff runtime ready: ${describeRuntime(runtime)}`);
  return { runtime, stop: () => runtime.stop() };
}

/** "listening on SOCKET (N sandboxes, M containers recovered...)": what a ready line says of a runtime. */
export function describeRuntime(rt: Runtime): string {
  const r = rt.recovery;
  const rolledBack = r.rolledBack.length ? `, ${r.rolledBack.length} half-made rolled back` : '';
  const orphans = r.orphansRemoved.length ? `, ${r.orphansRemoved.length} orphans removed` : '';
  return `listening on ${rt.socket} (${r.sandboxes} sandboxes, ${r.containers} containers recovered${rolledBack}${orphans})`;
}
