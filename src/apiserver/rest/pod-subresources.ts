// pods/binding (the scheduler's write) and pods/eviction (kubectl drain's).

import { errors, StatusError } from '../../api/errors.js';
import { evictPod } from '../eviction.js';
import { decodeBody, readBody, sendJson } from '../http.js';
import { isPlainObject, nowRfc3339, type KObject } from '../object.js';
import { typeError } from '../../api/openapi/index.js';
import type { DeleteOptions } from '../registry.js';
import { opContext, requireNamespace, type Scope } from './scope.js';

type Rec = Record<string, unknown>;

const success = (code: number) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code });

export async function bind(s: Scope): Promise<void> {
  const ns = requireNamespace(s);
  const body = decodeBody(await readBody(s.req), s.req.headers['content-type']);
  if (!isPlainObject(body) || !isPlainObject(body.metadata) || !isPlainObject(body.target)) throw errors.badRequest('expected a Binding object with metadata and target');
  const wrongType = typeError('io.k8s.api.core.v1.Binding', body);
  if (wrongType) throw errors.badRequest(wrongType);
  const podName = s.rr.name ?? (body.metadata.name as string | undefined);
  if (!podName) throw errors.badRequest('Binding needs metadata.name: the name of the pod to bind');
  const target = body.target;
  if (typeof target.name !== 'string' || target.name === '') {
    throw errors.invalid('Binding', '', podName, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  }
  const pods = s.server.storeFor('', 'pods')!;
  await pods.update(
    ns,
    podName,
    (cur) => {
      if (!cur) throw pods.notFound(podName);
      const spec = (cur.spec ?? {}) as Rec;
      if (cur.metadata.deletionTimestamp) throw errors.conflict('pods', '', podName, `pod ${podName} is being deleted, cannot be assigned to a host`);
      if (spec.nodeName) throw errors.conflict('pods', '', podName, `pod ${podName} is already assigned to node "${spec.nodeName as string}"`);
      const uid = isPlainObject(body.metadata) ? body.metadata.uid : undefined;
      if (uid && uid !== cur.metadata.uid) throw errors.conflict('pods', '', podName, `Precondition failed: UID in precondition: ${String(uid)}, UID in object meta: ${cur.metadata.uid}`);
      spec.nodeName = target.name;
      cur.spec = spec;
      const status = (cur.status ?? {}) as Rec;
      const conditions = ((status.conditions as Rec[] | undefined) ?? []).filter((c) => c.type !== 'PodScheduled');
      conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: nowRfc3339() });
      status.conditions = conditions;
      cur.status = status;
      return cur as KObject;
    },
    opContext(s),
    'binding',
  );
  sendJson(s.res, 201, success(201));
}

export async function evict(s: Scope): Promise<void> {
  const ns = requireNamespace(s);
  const name = s.rr.name!;
  const body = decodeBody(await readBody(s.req), s.req.headers['content-type']);
  if (!isPlainObject(body) || (body.kind !== undefined && body.kind !== 'Eviction')) throw errors.badRequest('expected an Eviction object (policy/v1)');
  const wrongType = typeError('io.k8s.api.policy.v1.Eviction', body);
  if (wrongType) throw errors.badRequest(wrongType);
  const meta = isPlainObject(body.metadata) ? body.metadata : {};
  if (meta.name !== name) throw errors.badRequest(`name in URL does not match name in Eviction object`);
  const opts: DeleteOptions = {};
  let bodyDryRun: string[] = [];
  if (isPlainObject(body.deleteOptions)) {
    const d = body.deleteOptions;
    if (typeof d.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = d.gracePeriodSeconds;
    if (isPlainObject(d.preconditions)) opts.preconditions = d.preconditions as DeleteOptions['preconditions'];
    if (d.propagationPolicy === 'Foreground' || d.propagationPolicy === 'Background' || d.propagationPolicy === 'Orphan') opts.propagationPolicy = d.propagationPolicy;
    if (typeof d.orphanDependents === 'boolean') opts.orphanDependents = d.orphanDependents;
    if (Array.isArray(d.dryRun)) bodyDryRun = d.dryRun.map(String);
  }
  const ctx = opContext(s);
  ctx.dryRun = evictionDryRun(s.query.getAll('dryRun'), bodyDryRun);
  try {
    const status = await evictPod(s.server, { namespace: ns ?? '', name, deleteOptions: opts, ctx });
    sendJson(s.res, status.code ?? 201, status);
  } catch (e) {
    // Upstream answers a suggested retry delay with a Retry-After header as well (client-go waits it out).
    const after = e instanceof StatusError ? e.details?.retryAfterSeconds : undefined;
    if (e instanceof StatusError && after) sendJson(s.res, e.code, e.toStatus(), { 'Retry-After': String(after) });
    else throw e;
  }
}

/** Upstream's propagateDryRun: the query's and the body's dryRun must agree when both are given. */
function evictionDryRun(query: string[], body: string[]): boolean {
  for (const v of body) if (v !== 'All') throw errors.badRequest(`Invalid dryRun value: "${v}": supported values: "All"`);
  if (query.length && body.length && query.join(',') !== body.join(',')) {
    throw errors.internal(`Non-matching dry-run options in request and content: [${query.join(' ')}] and [${body.join(' ')}]`);
  }
  return query.length > 0 || body.length > 0;
}
