import { apiSemanticsSuite } from './api-semantics-suite.js';
import { startEtcd } from '../helpers/etcd.js';

apiSemanticsSuite('sqlite', async () => ({ stop: async () => {} }));
apiSemanticsSuite('etcd', async () => {
  const etcd = await startEtcd();
  return { endpoint: `etcd://${etcd.endpoint}`, stop: () => etcd.stop() };
});
