// `skiff crictl`: a CRI client in the spirit of crictl, for skiff's runtime and any other CRI
// runtime (containerd's CRI plugin, CRI-O). It only speaks CRI through CriClient; the global
// flags are crictl's (see context.ts), as are the subcommands' flags and output formats.
//
// Options are positional: those before a subcommand are crictl's global ones, those after it
// belong to the subcommand (`skiff crictl -t 5s logs -t ID`: a timeout, then --timestamps).

import { Command, Option } from 'commander';
import { attachCommands } from './attach.js';
import { containerCommands } from './containers.js';
import { DEFAULT_RUNTIME_ENDPOINT } from './context.js';
import { execCommand } from './exec.js';
import { imageCommands } from './images.js';
import { logsCommand } from './logs.js';
import { podCommands } from './pods.js';
import { psCommands } from './ps.js';
import { runtimeCommands } from './runtime.js';
import { statsCommand } from './stats.js';

export function crictlCommand(): Command {
  const cmd = new Command('crictl')
    .description('CRI client: inspect and drive a container runtime (skiff, containerd, CRI-O) like crictl')
    .enablePositionalOptions()
    .addOption(
      new Option('-r, --runtime-endpoint <endpoint>', `Endpoint of the CRI container runtime service (default: ${DEFAULT_RUNTIME_ENDPOINT})`).env('CONTAINER_RUNTIME_ENDPOINT'),
    )
    .addOption(new Option('-i, --image-endpoint <endpoint>', "Endpoint of the CRI image manager service (default: uses 'runtime-endpoint' setting)").env('IMAGE_SERVICE_ENDPOINT'))
    .addOption(new Option('-t, --timeout <duration>', 'Timeout of connecting to the server (e.g. 2s, 20s); also bounds each call when given (default: 2s to connect)'))
    .addOption(new Option('-c, --config <file>', 'Location of the client config file (default: /etc/crictl.yaml)').env('CRI_CONFIG_FILE'))
    .addOption(new Option('-D, --debug', 'Enable debug mode'));
  runtimeCommands(cmd);
  podCommands(cmd);
  containerCommands(cmd);
  psCommands(cmd);
  imageCommands(cmd);
  logsCommand(cmd);
  execCommand(cmd);
  attachCommands(cmd);
  statsCommand(cmd);
  return cmd;
}
