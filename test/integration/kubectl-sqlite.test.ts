import { kubectlSuite } from './kubectl-suite.js';
import { startSkiff } from '../helpers/skiff.js';

kubectlSuite('sqlite', async () => {
  const server = await startSkiff();
  return { server, stop: () => server.stop() };
});
