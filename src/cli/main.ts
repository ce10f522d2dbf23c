// The skiff CLI: one binary, role commands.

import { Command } from 'commander';
import { serverCommand } from './server.js';
import { schedulerCommand } from './scheduler.js';
import { controllerManagerCommand } from './controller-manager.js';
import { simCommand } from './sim.js';
import { runtimeCommand } from './runtime.js';
import { agentCommand } from './agent.js';
import { resetCommand } from './reset.js';
import { crictlCommand } from './crictl/index.js';
import { imagesCommand } from './images.js';

const program = new Command('skiff')
  .description('A Kubernetes-compatible container orchestrator in one binary')
  .version('0.1.0')
  // Options after a subcommand belong to it (`skiff crictl exec ID sh -c ...` keeps its -c).
  .enablePositionalOptions()
  .addCommand(serverCommand())
  .addCommand(agentCommand())
  .addCommand(schedulerCommand())
  .addCommand(controllerManagerCommand())
  .addCommand(simCommand())
  .addCommand(runtimeCommand())
  .addCommand(resetCommand())
  .addCommand(crictlCommand())
  .addCommand(imagesCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`skiff: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
