// Defaults of the core/v1 kinds other than pods and volumes: Service, Namespace, Secret,
// Endpoints, Node, LimitRange, ResourceQuota.

import { canonicalizeResourceList, defPtr, defStr, ensure, maybe, objects, type Obj } from './util.js';
import { text } from '../validation/util.js';

function externallyAccessible(spec: Obj): boolean {
  const t = spec.type;
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
}

export function defaultService(svc: Obj): void {
  const spec = ensure(svc, 'spec');
  defStr(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const cfg = maybe(spec, 'sessionAffinityConfig');
    const clientIP = cfg && maybe(cfg, 'clientIP');
    if (!clientIP || clientIP.timeoutSeconds === undefined || clientIP.timeoutSeconds === null) {
      spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }
  }
  defStr(spec, 'type', 'ClusterIP');
  for (const port of objects(spec.ports)) {
    defStr(port, 'protocol', 'TCP');
    if (port.targetPort === undefined || port.targetPort === null || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if (externallyAccessible(spec)) defStr(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || spec.type === 'ClusterIP') defPtr(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') defPtr(spec, 'allocateLoadBalancerNodePorts', true);
  // An old client names only clusterIP; the strategy mirrors it into clusterIPs.
  if (typeof spec.clusterIP === 'string' && spec.clusterIP !== '' && !(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0)) {
    spec.clusterIPs = [spec.clusterIP];
  }
}

export function defaultNamespace(ns: Obj): void {
  const meta = ensure(ns, 'metadata');
  if (typeof meta.name === 'string' && meta.name !== '') ensure(meta, 'labels')['kubernetes.io/metadata.name'] = meta.name;
  defPtr(ensure(ns, 'spec'), 'finalizers', ['kubernetes']);
  defStr(ensure(ns, 'status'), 'phase', 'Active');
}

/** Secret type defaults to Opaque; stringData is merged into data and never stored (v1 conversion). */
export function defaultSecret(secret: Obj): void {
  defStr(secret, 'type', 'Opaque');
  const stringData = maybe(secret, 'stringData');
  if (stringData) {
    const data = ensure(secret, 'data');
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(text(v), 'utf8').toString('base64');
  }
  delete secret.stringData;
}

export function defaultEndpoints(ep: Obj): void {
  for (const subset of objects(ep.subsets)) for (const port of objects(subset.ports)) defStr(port, 'protocol', 'TCP');
}

export function defaultNode(node: Obj): void {
  const status = maybe(node, 'status');
  if (!status) return;
  canonicalizeResourceList(status.capacity, true);
  canonicalizeResourceList(status.allocatable, true);
  const capacity = maybe(status, 'capacity');
  if (capacity && (status.allocatable === undefined || status.allocatable === null)) status.allocatable = { ...capacity };
}

export function defaultLimitRange(lr: Obj): void {
  for (const item of objects(ensure(lr, 'spec').limits)) {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) canonicalizeResourceList(item[k], true);
    if (item.type !== 'Container') continue;
    const def = ensure(item, 'default');
    const defReq = ensure(item, 'defaultRequest');
    // Default limit from max; default request from the default limit, else from min.
    for (const [k, v] of Object.entries(maybe(item, 'max') ?? {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
    for (const [k, v] of Object.entries(maybe(item, 'min') ?? {})) if (!(k in defReq)) defReq[k] = v;
  }
}

export function defaultResourceQuota(rq: Obj): void {
  canonicalizeResourceList(maybe(rq, 'spec')?.hard, true);
  const status = maybe(rq, 'status');
  if (status) {
    canonicalizeResourceList(status.hard, true);
    canonicalizeResourceList(status.used, true);
  }
}
