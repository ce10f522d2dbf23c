// The ServiceAccount controller: every active namespace has a `default` ServiceAccount; one that
// is deleted comes back. Keys are namespace names.

import { Informer } from '../../client/informer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';

const serviceAccounts = resourceOf('', 'ServiceAccount');

export function startServiceAccountController(ctx: ControllerContext): RunningController {
  const { client, signal, onError } = ctx;
  const nsInformer = ctx.informers.informer(resourceOf('', 'Namespace'));
  // Only `default` accounts: a selected watch, not the shared one of every ServiceAccount.
  const saInformer = new Informer({ client, resource: serviceAccounts, fieldSelector: 'metadata.name=default', onError });
  const running = runController(
    {
      name: 'serviceaccount',
      informers: [nsInformer, saInformer],
      async reconcile(ns, sig) {
        const namespace = nsInformer.store.get(ns);
        if (!namespace || namespace.metadata.deletionTimestamp) return;
        if (saInformer.store.get(`${ns}/default`)) return;
        try {
          await client.create(serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } }, ns, sig);
        } catch (e) {
          // Already there (our cache lagged), or the namespace is going away: nothing to do.
          if (!isApiError(e, 409) && !isApiError(e, 403) && !isApiError(e, 404)) throw e;
        }
      },
      onError: (_n, _k, e) => onError(e),
    },
    signal,
  );
  nsInformer.addHandlers({ onAdd: (o) => running.queue.add(o.metadata.name ?? ''), onUpdate: (_o, n) => running.queue.add(n.metadata.name ?? '') });
  saInformer.addHandlers({ onDelete: (o) => running.queue.add(o.metadata.namespace ?? '') });
  return running;
}
