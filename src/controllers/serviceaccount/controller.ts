// The ServiceAccount controller: every active namespace has a `default` ServiceAccount; one that
// is deleted comes back. Keys are namespace names.

import { builtinResources } from '../../api/resources.js';
import type { Client } from '../../client/client.js';
import { Informer } from '../../client/informer.js';
import { isApiError } from '../../client/transport.js';
import { runController, type RunningController } from '../runner.js';

const serviceAccounts = builtinResources.find((r) => r.group === '' && r.kind === 'ServiceAccount')!;

/** `nsInformer` watches namespaces; it may be shared with other controllers. */
export function startServiceAccountController(client: Client, nsInformer: Informer, signal: AbortSignal, onError?: (err: unknown) => void): RunningController {
  const saInformer = new Informer({ client, resource: serviceAccounts, fieldSelector: 'metadata.name=default', ...(onError ? { onError } : {}) });
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
      ...(onError ? { onError: (_n: string, _k: string, e: unknown) => onError(e) } : {}),
    },
    signal,
  );
  nsInformer.addHandlers({ onAdd: (o) => running.queue.add(o.metadata.name ?? ''), onUpdate: (_o, n) => running.queue.add(n.metadata.name ?? '') });
  saInformer.addHandlers({ onDelete: (o) => running.queue.add(o.metadata.namespace ?? '') });
  return running;
}
