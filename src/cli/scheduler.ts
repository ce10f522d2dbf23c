// `skiff scheduler` flags (as kube-scheduler names them); behaviour lives in src/scheduler/standalone.ts,
// imported when the command runs (see main.ts).

import { Command } from 'commander';

export function schedulerCommand(): Command {
  return new Command('scheduler')
    .description('Run the scheduler against an API server (skiff server runs one already)')
    .option('--kubeconfig <file>', 'kubeconfig of the API server (default: $KUBECONFIG)')
    .option('--config <file>', 'a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) file')
    .option('--leader-elect', 'schedule only while holding the kube-system/kube-scheduler lease (for several replicas)', false)
    .action(async (o: { kubeconfig?: string; config?: string; leaderElect: boolean }) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const { runStandaloneScheduler } = await import('../scheduler/standalone.js');
      await runStandaloneScheduler(o, controller.signal, (m) => process.stderr.write(m + '\n'));
    });
}
