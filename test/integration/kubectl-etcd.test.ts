import { kubectlSuite } from './kubectl-suite.js';
import { startSkiff } from '../helpers/skiff.js';
import { startEtcd } from '../helpers/etcd.js';

kubectlSuite('etcd', '1.33', async () => {
  const etcd = await startEtcd();
  try {
    const server = await startSkiff({ datastore: `etcd://${etcd.endpoint}` });
    return {
      server,
      stop: async () => {
        await server.stop();
        await etcd.stop();
      },
    };
  } catch (err) {
    await etcd.stop();
    throw err;
  }
});
