// The root CA publisher: every active namespace has a `kube-root-ca.crt` ConfigMap holding the
// cluster CA, so pods can verify the API server; a deleted or edited one is put back. Keys are
// namespace names.

import { Informer } from '../../client/informer.js';
import { isApiError } from '../../client/transport.js';
import { resourceOf, type ControllerContext } from '../context.js';
import { runController, type RunningController } from '../runner.js';

const configMaps = resourceOf('', 'ConfigMap');

export const rootCaConfigMap = 'kube-root-ca.crt';
const description =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export function startRootCaController(ctx: ControllerContext): RunningController {
  const { client, signal, onError } = ctx;
  const caPem = ctx.options.caPem;
  const nsInformer = ctx.informers.informer(resourceOf('', 'Namespace'));
  const cmInformer = new Informer({ client, resource: configMaps, fieldSelector: `metadata.name=${rootCaConfigMap}`, onError });
  const running = runController(
    {
      name: 'root-ca-cert-publisher',
      informers: [nsInformer, cmInformer],
      async reconcile(ns, sig) {
        const namespace = nsInformer.store.get(ns);
        if (!namespace || namespace.metadata.deletionTimestamp) return;
        const current = cmInformer.store.get(`${ns}/${rootCaConfigMap}`);
        const data = { 'ca.crt': caPem };
        try {
          if (!current) {
            await client.create(configMaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: rootCaConfigMap, namespace: ns, annotations: { 'kubernetes.io/description': description } }, data }, ns, sig);
          } else if ((current.data as Record<string, string> | undefined)?.['ca.crt'] !== caPem) {
            await client.update(configMaps, { ...current, data: { ...((current.data as Record<string, string> | undefined) ?? {}), ...data } });
          }
        } catch (e) {
          if (!isApiError(e, 409) && !isApiError(e, 403) && !isApiError(e, 404)) throw e;
        }
      },
      onError: (_n, _k, e) => onError(e),
    },
    signal,
  );
  nsInformer.addHandlers({ onAdd: (o) => running.queue.add(o.metadata.name ?? ''), onUpdate: (_o, n) => running.queue.add(n.metadata.name ?? '') });
  cmInformer.addHandlers({ onUpdate: (_o, n) => running.queue.add(n.metadata.namespace ?? ''), onDelete: (o) => running.queue.add(o.metadata.namespace ?? '') });
  return running;
}
