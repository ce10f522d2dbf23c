// `skiff runtime`: skiff's CRI runtime alone on a unix socket (kubelet, crictl and critest
// drive it). Stops cleanly on SIGINT/SIGTERM; running containers keep running (conmon holds
// them) and are found again by the next start.

import { Command } from 'commander';
import { startRuntime } from '../runtime/service/service.js';

interface RuntimeFlags {
  socket: string;
  root: string;
  state: string;
  podCidr?: string;
  bridge?: string;
  registries: string;
  verbose?: boolean;
}

export function runtimeCommand(): Command {
  return new Command('runtime')
    .description('Run the CRI container runtime (conmon + runc/runsc, CNI, OCI images)')
    .option('--socket <path>', 'CRI socket', '/run/skiff/cri.sock')
    .option('--root <dir>', 'persistent state: images, snapshots, records', '/var/lib/skiff/runtime')
    .option('--state <dir>', 'volatile state (tmpfs): runc roots, exit files', '/run/skiff/runtime')
    .option('--pod-cidr <cidr>', 'pod network until UpdateRuntimeConfig sets one (default 10.88.0.0/16)')
    .option('--bridge <name>', 'bridge of the default pod network (default skiff0)')
    .option('--registries <file>', 'registries.yaml (mirrors, auth, TLS) as in k3s', '/etc/skiff/registries.yaml')
    .option('-v, --verbose', 'log every CRI call')
    .action(async (flags: RuntimeFlags) => {
      const rt = await startRuntime({
        socket: flags.socket,
        root: flags.root,
        stateDir: flags.state,
        registriesFile: flags.registries,
        ...(flags.podCidr ? { podCidr: flags.podCidr } : {}),
        ...(flags.bridge ? { bridge: flags.bridge } : {}),
        ...(flags.verbose ? { log: (c) => process.stderr.write(`${c.method} ${c.code === 0 ? 'OK' : `code=${c.code} ${c.message ?? ''}`} ${c.durationMs.toFixed(1)}ms\n`) } : {}),
      });
      const r = rt.recovery;
      process.stderr.write(`skiff runtime ready: listening on ${rt.socket} (${r.sandboxes} sandboxes, ${r.containers} containers recovered${r.rolledBack.length ? `, ${r.rolledBack.length} half-made rolled back` : ''}${r.orphansRemoved.length ? `, ${r.orphansRemoved.length} orphans removed` : ''})\n`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await rt.stop();
    });
}
