// Pod and pod template defaults (core/v1 SetDefaults_Pod, SetDefaults_PodSpec, SetDefaults_Container,
// SetDefaults_Volume, SetDefaults_Probe and friends), plus the service-account name the
// ServiceAccount admission plugin gives pods.

import { canonicalizeQuantityField, canonicalizeResourceList, defPtr, defStr, defZero, ensure, isObj, maybe, objects, type Obj } from './util.js';
import { defaultPVCSpec } from './storage.js';
import { volumeSourceKinds } from '../validation/volumes.js';

const defaultFileMode = 0o644;

// Docker reference grammar (github.com/distribution/reference), enough to find the tag.
const component = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const domain = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?';
const referenceRe = new RegExp(`^(?:(${domain})/)?(${component}(?:/${component})*)(?::([\\w][\\w.-]{0,127}))?(?:@([A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$`);

/**
 * The tag kubelet would pull: "latest" when neither tag nor digest is given, "" when the reference
 * does not parse (upstream then defaults to IfNotPresent).
 */
export function imageTag(image: string): string {
  const m = referenceRe.exec(image);
  if (!m || image.length > 255) return '';
  // A first component without '.', ':' or 'localhost' is part of the path, not a domain; either
  // way the tag and digest groups are the same.
  const tag = m[3] ?? '';
  const digest = m[4] ?? '';
  return tag === '' && digest === '' ? 'latest' : tag;
}

function defaultHTTPGet(handler: Obj | undefined): void {
  const http = handler && maybe(handler, 'httpGet');
  if (!http) return;
  defStr(http, 'path', '/');
  defStr(http, 'scheme', 'HTTP');
}

function defaultProbe(probe: Obj | undefined): void {
  if (!probe) return;
  defZero(probe, 'timeoutSeconds', 1);
  defZero(probe, 'periodSeconds', 10);
  defZero(probe, 'successThreshold', 1);
  defZero(probe, 'failureThreshold', 3);
  defaultHTTPGet(probe);
  const grpc = maybe(probe, 'grpc');
  if (grpc) defPtr(grpc, 'service', '');
}

function defaultFieldRef(holder: Obj | undefined): void {
  const ref = holder && maybe(holder, 'fieldRef');
  if (ref) defStr(ref, 'apiVersion', 'v1');
}

export function defaultContainer(c: Obj): void {
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === null || c.imagePullPolicy === '') {
    c.imagePullPolicy = imageTag(typeof c.image === 'string' ? c.image : '') === 'latest' ? 'Always' : 'IfNotPresent';
  }
  defStr(c, 'terminationMessagePath', '/dev/termination-log');
  defStr(c, 'terminationMessagePolicy', 'File');
  for (const port of objects(c.ports)) defStr(port, 'protocol', 'TCP');
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(maybe(c, probe));
  const lifecycle = maybe(c, 'lifecycle');
  if (lifecycle) {
    defaultHTTPGet(maybe(lifecycle, 'postStart'));
    defaultHTTPGet(maybe(lifecycle, 'preStop'));
  }
  for (const env of objects(c.env)) defaultFieldRef(maybe(env, 'valueFrom'));
  const resources = maybe(c, 'resources');
  if (resources) {
    canonicalizeResourceList(resources.limits, true);
    canonicalizeResourceList(resources.requests, true);
  }
}

function defaultDownwardAPIItems(items: unknown): void {
  for (const item of objects(items)) defaultFieldRef(item);
}

export function defaultVolume(v: Obj): void {
  if (!volumeSourceKinds.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  const emptyDir = maybe(v, 'emptyDir');
  canonicalizeQuantityField(emptyDir, 'sizeLimit');
  for (const k of ['secret', 'configMap', 'downwardAPI', 'projected']) {
    const src = maybe(v, k);
    if (src) defPtr(src, 'defaultMode', defaultFileMode);
  }
  const hostPath = maybe(v, 'hostPath');
  if (hostPath) defPtr(hostPath, 'type', '');
  const downward = maybe(v, 'downwardAPI');
  if (downward) defaultDownwardAPIItems(downward.items);
  const projected = maybe(v, 'projected');
  for (const s of objects(projected?.sources)) {
    const token = maybe(s, 'serviceAccountToken');
    if (token) defPtr(token, 'expirationSeconds', 3600);
    const d = maybe(s, 'downwardAPI');
    if (d) defaultDownwardAPIItems(d.items);
  }
  const claim = maybe(maybe(v, 'ephemeral') ?? {}, 'volumeClaimTemplate');
  if (claim) defaultPVCSpec(ensure(claim, 'spec'));
}

/** Host-network pods use their container ports on the host. */
function defaultHostNetworkPorts(containers: unknown): void {
  for (const c of objects(containers)) {
    for (const port of objects(c.ports)) {
      if (port.hostPort === undefined || port.hostPort === null || port.hostPort === 0) port.hostPort = port.containerPort;
    }
  }
}

/** Requests default to limits when a pod (not a template) gives only limits. */
function defaultRequestsFromLimits(containers: unknown): void {
  for (const c of objects(containers)) {
    const resources = maybe(c, 'resources');
    const limits = resources && maybe(resources, 'limits');
    if (!resources || !limits) continue;
    const requests = ensure(resources, 'requests');
    for (const [k, v] of Object.entries(limits)) if (!(k in requests)) requests[k] = v;
  }
}

export function defaultPodSpec(spec: Obj, isPod: boolean): void {
  defStr(spec, 'dnsPolicy', 'ClusterFirst');
  defStr(spec, 'restartPolicy', 'Always');
  defPtr(spec, 'securityContext', {});
  defPtr(spec, 'terminationGracePeriodSeconds', 30);
  defStr(spec, 'schedulerName', 'default-scheduler');
  // The deprecated serviceAccount field mirrors serviceAccountName (v1 conversion).
  if (typeof spec.serviceAccount === 'string' && spec.serviceAccount !== '' && !spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount;
  if (isPod) {
    // What the ServiceAccount admission plugin sets on every pod.
    defStr(spec, 'serviceAccountName', 'default');
    defPtr(spec, 'enableServiceLinks', true);
    if (spec.hostNetwork === true) {
      defaultHostNetworkPorts(spec.containers);
      defaultHostNetworkPorts(spec.initContainers);
    }
  }
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') spec.serviceAccount = spec.serviceAccountName;
  for (const kind of ['containers', 'initContainers', 'ephemeralContainers']) for (const c of objects(spec[kind])) defaultContainer(c);
  if (isPod) {
    defaultRequestsFromLimits(spec.containers);
    defaultRequestsFromLimits(spec.initContainers);
  }
  for (const v of objects(spec.volumes)) defaultVolume(v);
  canonicalizeResourceList(spec.overhead, true);
  const podResources = maybe(spec, 'resources');
  if (podResources) {
    canonicalizeResourceList(podResources.limits, true);
    canonicalizeResourceList(podResources.requests, true);
  }
}

export function defaultPod(pod: Obj): void {
  defaultPodSpec(ensure(pod, 'spec'), true);
}

export function defaultPodTemplateSpec(tpl: Obj): void {
  defaultPodSpec(ensure(tpl, 'spec'), false);
}

export { isObj };
