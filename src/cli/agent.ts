// `skiff agent`: the node agent of a cluster, the part of `skiff server` that runs on every node.
// For now it is skiff's CRI container runtime alone, with the server's runtime options
// (runtime-options.ts); the kubelet joins it in a later issue, and with it the flags that name
// the server to join (k3s's --server and --token), which would do nothing before then.

import { Command } from 'commander';
import { addRuntimeOptions, runtimeFlags, runtimeOptions } from './runtime-options.js';
import { untilStopSignal } from './stop-signal.js';

export function agentCommand(): Command {
  const cmd = new Command('agent')
    .description('Run the node agent: for now the CRI container runtime (the kubelet joins it later; `skiff server` runs one too)')
    .addHelpText('after', '\nThe runtime keeps `skiff runtime`\'s defaults, so `skiff crictl` and `skiff reset` find it without flags.');
  return addRuntimeOptions(cmd, 'embedded').action(async (parsed: Record<string, unknown>) => {
    const { startAgent } = await import('../agent/run.js');
    const log = (m: string): void => void process.stderr.write(`${m}\n`);
    const started = Date.now();
    const agent = await startAgent({ runtime: runtimeOptions(runtimeFlags(parsed, 'embedded')) }, log);
    log(`skiff agent ready in ${Date.now() - started} ms: CRI runtime ${agent.runtime.socket}`);
    await untilStopSignal();
    await agent.stop();
  });
}
