import { kubectlSuite } from './kubectl-suite.js';
import { startSkiff } from '../helpers/skiff.js';

for (const version of ['1.33', '1.27']) {
  kubectlSuite('sqlite', version, async () => {
    const server = await startSkiff();
    return { server, stop: () => server.stop() };
  });
}
