// `skiff runtime`: skiff's CRI runtime alone on a unix socket (kubelet, crictl and critest
// drive it). Stops cleanly on SIGINT/SIGTERM; running containers keep running (conmon holds
// them) and are found again by the next start. `skiff server` and `skiff agent` start the same
// runtime with the same options (runtime-options.ts), spelled for their command lines.

import { Command } from 'commander';
import { addRuntimeOptions, runtimeFlags, runtimeOptions } from './runtime-options.js';
import { untilStopSignal } from './stop-signal.js';

export function runtimeCommand(): Command {
  const cmd = new Command('runtime').description('Run the CRI container runtime (conmon + runc/runsc, CNI, OCI images)');
  return addRuntimeOptions(cmd, 'standalone').action(async (parsed: Record<string, unknown>) => {
    const { startRuntime } = await import('../runtime/service/service.js');
    const { describeRuntime } = await import('../agent/run.js');
    const rt = await startRuntime(runtimeOptions(runtimeFlags(parsed, 'standalone')));
    process.stderr.write(`skiff runtime ready: ${describeRuntime(rt)}\n`);
    await untilStopSignal();
    await rt.stop();
  });
}
