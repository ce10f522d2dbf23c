// `skiff reset`: remove everything the runtime created on this machine (pods, containers and
// their processes, mounts, network namespaces, CNI rules, cgroups, the pod bridge) — for after a
// crash, or before uninstalling. Images are kept. The runtime must not be running.
// The implementation is imported when the command runs (see main.ts).

import { Command } from 'commander';
import { DEFAULT_RUNTIME_ROOT, DEFAULT_RUNTIME_SOCKET, DEFAULT_RUNTIME_STATE } from '../runtime/defaults.js';

interface ResetFlags {
  socket: string;
  root: string;
  state: string;
  bridge?: string;
}

export function resetCommand(): Command {
  return new Command('reset')
    .description('Remove every pod, container, mount, netns, cgroup and process the skiff runtime created (images are kept)')
    .option('--socket <path>', 'CRI socket of the runtime (must not be served)', DEFAULT_RUNTIME_SOCKET)
    .option('--root <dir>', 'runtime root', DEFAULT_RUNTIME_ROOT)
    .option('--state <dir>', 'runtime volatile state', DEFAULT_RUNTIME_STATE)
    .option('--bridge <name>', 'pod bridge to delete (default skiff0)')
    .action(async (flags: ResetFlags) => {
      const { resetRuntime } = await import('../runtime/service/reset.js');
      const r = await resetRuntime({ socket: flags.socket, root: flags.root, stateDir: flags.state, ...(flags.bridge ? { bridge: flags.bridge } : {}) });
      const line = (label: string, items: string[]): void => {
        if (items.length > 0) process.stdout.write(`${label}: ${items.length}\n${items.map((i) => `  ${i}`).join('\n')}\n`);
      };
      line('removed sandboxes', r.sandboxes);
      line('removed orphans', r.orphans);
      line('removed cgroups', r.cgroups);
      if (r.bridge) process.stdout.write(`removed bridge ${r.bridge}\n`);
      if (r.problems.length > 0) {
        process.stderr.write(`skiff reset: could not remove everything:\n${r.problems.map((p) => `  ${p}`).join('\n')}\n`);
        process.exitCode = 1;
      } else if (r.sandboxes.length + r.orphans.length === 0) {
        process.stdout.write('nothing to reset\n');
      }
    });
}
