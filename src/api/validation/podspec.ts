// PodSpec and PodTemplateSpec validation (core validation's ValidatePodSpec and
// ValidatePodTemplateSpec), shared by Pods and every workload's template.

import { field, type FieldError } from '../errors.js';
import { validateAffinity, validateTolerations, validateTopologySpreadConstraints } from './affinity.js';
import { validateContainerCommon, validateLifecycle, validateProbe } from './containers.js';
import { validateAnnotations, validateLabels } from './meta.js';
import { inclusiveRangeError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidIP, isValidUserOrGroupID, nameIsDNSSubdomain } from './names.js';
import { validateResourceRequirements } from './resources.js';
import { child, index, isObj, isSet, list, num, obj, objList, str, strEntries, strList, type Obj } from './util.js';
import { validateVolumes } from './volumes.js';

export interface PodSpecOptions {
  /** The spec belongs to a Pod, not a template (some checks are pod-only). */
  resourceIsPod: boolean;
  /** The pod's name, for generic ephemeral volume claim names; '' for templates. */
  podName: string;
}

const maxInt32 = 2147483647;
const restartPolicies = ['Always', 'OnFailure', 'Never'];
const dnsPolicies = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];

/** Host ports must not repeat among `containers` (each paired with its index in the list at `p`). */
function hostPortConflicts(containers: Array<[Obj, number]>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  containers.forEach(([c, ci]) => {
    objList(c.ports).forEach((port, pi) => {
      const hp = num(port.hostPort) ?? 0;
      if (hp === 0) return;
      const k = `${str(port.protocol)}/${str(port.hostIP)}/${hp}`;
      if (seen.has(k)) errs.push(field.duplicate(child(index(child(index(p, ci), 'ports'), pi), 'hostPort'), k));
      else seen.add(k);
    });
  });
  return errs;
}

function validateContainers(spec: Obj, volumes: Map<string, Obj>, grace: number | undefined, p: string): FieldError[] {
  const containers = objList(spec.containers);
  if (containers.length === 0) return [field.required(p, '')];
  const errs: FieldError[] = [];
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const cp = index(p, i);
    errs.push(...validateContainerCommon(c, volumes, cp));
    if (names.has(str(c.name))) errs.push(field.duplicate(child(cp, 'name'), str(c.name)));
    else names.add(str(c.name));
    if (isSet(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, grace, child(cp, 'lifecycle')));
    for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) errs.push(...validateProbe(probe, c[probe], grace, child(cp, probe)));
    if (isSet(c.restartPolicy)) errs.push(field.forbidden(child(cp, 'restartPolicy'), 'may not be set for non-init containers'));
  });
  errs.push(...hostPortConflicts(containers.map((c, i): [Obj, number] => [c, i]), p));
  return errs;
}

function validateInitContainers(spec: Obj, volumes: Map<string, Obj>, grace: number | undefined, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set(objList(spec.containers).map((c) => str(c.name)));
  objList(spec.initContainers).forEach((c, i) => {
    const cp = index(p, i);
    errs.push(...validateContainerCommon(c, volumes, cp));
    let restartable = false;
    if (isSet(c.restartPolicy)) {
      restartable = c.restartPolicy === 'Always';
      if (!restartable) errs.push(field.notSupported(child(cp, 'restartPolicy'), str(c.restartPolicy), ['Always']));
    }
    const name = str(c.name);
    if (names.has(name)) errs.push(field.duplicate(child(cp, 'name'), name));
    else if (name !== '') names.add(name);
    // Init containers run one by one, so host ports only conflict within one container.
    errs.push(...hostPortConflicts([[c, i]], p));
    if (restartable) {
      if (isSet(c.lifecycle)) errs.push(...validateLifecycle(c.lifecycle, grace, child(cp, 'lifecycle')));
      for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe'] as const) errs.push(...validateProbe(probe, c[probe], grace, child(cp, probe)));
    } else {
      for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe']) {
        if (isSet(c[f])) errs.push(field.forbidden(child(cp, f), 'may not be set for init containers without restartPolicy=Always'));
      }
    }
  });
  return errs;
}

function validateEphemeralContainers(spec: Obj, volumes: Map<string, Obj>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const others = new Set([...objList(spec.containers), ...objList(spec.initContainers)].map((c) => str(c.name)));
  const all = new Set(others);
  objList(spec.ephemeralContainers).forEach((c, i) => {
    const cp = index(p, i);
    errs.push(...validateContainerCommon(c, volumes, cp));
    if (all.has(str(c.name))) errs.push(field.duplicate(child(cp, 'name'), str(c.name)));
    else all.add(str(c.name));
    const target = str(c.targetContainerName);
    if (target !== '' && !others.has(target)) errs.push(field.notFound(child(cp, 'targetContainerName'), target));
    for (const f of ['ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle']) {
      if (isSet(c[f]) && !(Array.isArray(c[f]) && list(c[f]).length === 0)) errs.push(field.forbidden(child(cp, f), 'cannot be set for an Ephemeral Container'));
    }
  });
  return errs;
}

function validateDNSConfig(spec: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const policy = str(spec.dnsPolicy);
  if (policy === 'None') {
    if (!isObj(spec.dnsConfig)) return [field.required(p, 'must provide `dnsConfig` when `dnsPolicy` is None')];
    if (list(spec.dnsConfig.nameservers).length === 0) return [field.required(child(p, 'nameservers'), 'must provide at least one DNS nameserver when `dnsPolicy` is None')];
  }
  if (!isObj(spec.dnsConfig)) return errs;
  const cfg = spec.dnsConfig;
  const servers = strList(cfg.nameservers);
  if (servers.length > 3) errs.push(field.invalid(child(p, 'nameservers'), servers, 'must not have more than 3 nameservers'));
  servers.forEach((ns, i) => {
    for (const m of isValidIP(ns)) errs.push(field.invalid(index(child(p, 'nameservers'), i), ns, m));
  });
  const searches = strList(cfg.searches);
  if (searches.length > 32) errs.push(field.invalid(child(p, 'searches'), searches, 'must not have more than 32 search paths'));
  if (searches.join(' ').length > 2048) errs.push(field.invalid(child(p, 'searches'), searches, 'must not have more than 2048 characters (including spaces) in the search list'));
  searches.forEach((s, i) => {
    const trimmed = s.endsWith('.') ? s.slice(0, -1) : s;
    for (const m of isDNS1123Subdomain(trimmed)) errs.push(field.invalid(index(child(p, 'searches'), i), trimmed, m));
  });
  objList(cfg.options).forEach((o, i) => {
    if (str(o.name) === '') errs.push(field.required(index(child(p, 'options'), i), 'must not be empty'));
  });
  return errs;
}

function validatePodSecurityContext(scV: unknown, p: string): FieldError[] {
  if (!isObj(scV)) return [];
  const errs: FieldError[] = [];
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup']) {
    const id = num(scV[f]);
    if (id !== undefined) for (const m of isValidUserOrGroupID(id)) errs.push(field.invalid(child(p, f), id, m));
  }
  list(scV.supplementalGroups).forEach((g, i) => {
    const id = num(g) ?? -1;
    for (const m of isValidUserOrGroupID(id)) errs.push(field.invalid(index(child(p, 'supplementalGroups'), i), id, m));
  });
  if (isSet(scV.fsGroupChangePolicy) && !['Always', 'OnRootMismatch'].includes(str(scV.fsGroupChangePolicy))) {
    errs.push(field.notSupported(child(p, 'fsGroupChangePolicy'), str(scV.fsGroupChangePolicy), ['Always', 'OnRootMismatch']));
  }
  objList(scV.sysctls).forEach((s, i) => {
    const sp = index(child(p, 'sysctls'), i);
    const name = str(s.name);
    if (name === '') errs.push(field.required(child(sp, 'name'), ''));
    else if (!/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 253) {
      errs.push(field.invalid(child(sp, 'name'), name, "must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"));
    }
  });
  return errs;
}

/** Upstream ValidatePodSpec. */
export function validatePodSpec(specV: unknown, p: string, opts: PodSpecOptions): FieldError[] {
  const spec = obj(specV);
  const errs: FieldError[] = [];
  if (!isSet(spec.terminationGracePeriodSeconds)) errs.push(field.required(child(p, 'terminationGracePeriodSeconds'), ''));
  const grace = num(spec.terminationGracePeriodSeconds);
  const { volumes, errs: volErrs } = validateVolumes(spec.volumes, opts.podName, child(p, 'volumes'));
  errs.push(...volErrs);
  errs.push(...validateContainers(spec, volumes, grace, child(p, 'containers')));
  errs.push(...validateInitContainers(spec, volumes, grace, child(p, 'initContainers')));
  errs.push(...validateEphemeralContainers(spec, volumes, child(p, 'ephemeralContainers')));
  if (spec.hostNetwork === true) {
    objList(spec.containers).forEach((c, i) => {
      objList(c.ports).forEach((port, j) => {
        const hp = num(port.hostPort) ?? 0;
        const cpn = num(port.containerPort) ?? 0;
        if ((opts.resourceIsPod || hp !== 0) && hp !== cpn) {
          errs.push(field.invalid(child(index(child(index(child(p, 'containers'), i), 'ports'), j), 'hostPort'), hp, 'must match `containerPort` when `hostNetwork` is true'));
        }
      });
    });
  }
  const restart = str(spec.restartPolicy);
  if (restart === '') errs.push(field.required(child(p, 'restartPolicy'), ''));
  else if (!restartPolicies.includes(restart)) errs.push(field.notSupported(child(p, 'restartPolicy'), restart, restartPolicies));
  const dns = str(spec.dnsPolicy);
  if (dns === '') errs.push(field.required(child(p, 'dnsPolicy'), ''));
  else if (!dnsPolicies.includes(dns)) errs.push(field.notSupported(child(p, 'dnsPolicy'), dns, dnsPolicies));
  errs.push(...validateLabels(spec.nodeSelector, child(p, 'nodeSelector')));
  errs.push(...validatePodSecurityContext(spec.securityContext, child(p, 'securityContext')));
  objList(spec.imagePullSecrets).forEach((s, i) => {
    if (Object.keys(s).some((k) => k !== 'name')) errs.push(field.invalid(index(child(p, 'imagePullSecrets'), i), s, 'only name may be set'));
  });
  errs.push(...validateAffinity(spec.affinity, child(p, 'affinity')));
  errs.push(...validateDNSConfig(spec, child(p, 'dnsConfig')));
  objList(spec.readinessGates).forEach((g, i) => {
    const t = str(g.conditionType);
    for (const m of isQualifiedName(t)) errs.push(field.invalid(child(index(child(p, 'readinessGates'), i), 'conditionType'), t, m));
  });
  const gates = new Set<string>();
  objList(spec.schedulingGates).forEach((g, i) => {
    const gp = index(child(p, 'schedulingGates'), i);
    const name = str(g.name);
    for (const m of isQualifiedName(name)) errs.push(field.invalid(gp, name, m));
    if (gates.has(name)) errs.push(field.duplicate(gp, name));
    gates.add(name);
  });
  errs.push(...validateTopologySpreadConstraints(spec.topologySpreadConstraints, child(p, 'topologySpreadConstraints')));
  for (const f of ['serviceAccountName', 'nodeName', 'priorityClassName']) {
    const v = str(spec[f]);
    if (v !== '') for (const m of nameIsDNSSubdomain(v, false)) errs.push(field.invalid(child(p, f), v, m));
  }
  const ads = num(spec.activeDeadlineSeconds);
  if (ads !== undefined && (ads < 1 || ads > maxInt32)) errs.push(field.invalid(child(p, 'activeDeadlineSeconds'), ads, inclusiveRangeError(1, maxInt32)));
  for (const f of ['hostname', 'subdomain']) {
    const v = str(spec[f]);
    if (v !== '') for (const m of isDNS1123Label(v)) errs.push(field.invalid(child(p, f), v, m));
  }
  errs.push(...validateTolerations(spec.tolerations, child(p, 'tolerations')));
  objList(spec.hostAliases).forEach((a, i) => {
    const ap = index(child(p, 'hostAliases'), i);
    for (const m of isValidIP(str(a.ip))) errs.push(field.invalid(child(ap, 'ip'), str(a.ip), m));
    strList(a.hostnames).forEach((h, j) => {
      for (const m of isDNS1123Subdomain(h)) errs.push(field.invalid(index(child(ap, 'hostnames'), j), h, m));
    });
  });
  if (isSet(spec.runtimeClassName)) {
    const rc = str(spec.runtimeClassName);
    for (const m of nameIsDNSSubdomain(rc, false)) errs.push(field.invalid(child(p, 'runtimeClassName'), rc, m));
  }
  if (isSet(spec.preemptionPolicy)) {
    const pp = str(spec.preemptionPolicy);
    if (pp === '') errs.push(field.required(child(p, 'preemptionPolicy'), ''));
    else if (pp !== 'PreemptLowerPriority' && pp !== 'Never') errs.push(field.notSupported(child(p, 'preemptionPolicy'), pp, ['PreemptLowerPriority', 'Never']));
  }
  if (isSet(spec.overhead)) errs.push(...validateResourceRequirements({ limits: spec.overhead }, child(p, 'overhead')));
  if (isSet(spec.resources)) errs.push(...validateResourceRequirements(spec.resources, child(p, 'resources')));
  if (isObj(spec.os)) {
    const os = str(spec.os.name);
    if (os === '') errs.push(field.required(child(p, 'os', 'name'), 'cannot be empty'));
    else if (os !== 'linux' && os !== 'windows') errs.push(field.notSupported(child(p, 'os'), os, ['linux', 'windows']));
  }
  return errs;
}

/** Pod annotations with API meaning. */
export function validatePodSpecificAnnotations(annV: unknown, spec: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of strEntries(annV)) {
    if (k === 'kubernetes.io/config.mirror' && str(spec.nodeName) === '') {
      errs.push(field.invalid(`${p}[${k}]`, v, 'must set spec.nodeName if mirror pod annotation is set'));
    }
    if (k === 'controller.kubernetes.io/pod-deletion-cost' && !(/^[+-]?[0-9]+$/.test(v) && Math.abs(Number(v)) <= maxInt32 + (v.startsWith('-') ? 1 : 0))) {
      errs.push(field.invalid(`${p}[${k}]`, v, 'must be a 32bit integer'));
    }
  }
  return errs;
}

/** Upstream ValidatePodTemplateSpec: note labels are reported at `<p>.labels`, as upstream does. */
export function validatePodTemplateSpec(tplV: unknown, p: string): FieldError[] {
  const tpl = obj(tplV);
  const meta = obj(tpl.metadata);
  const spec = obj(tpl.spec);
  const errs = [
    ...validateLabels(meta.labels, child(p, 'labels')),
    ...validateAnnotations(meta.annotations, child(p, 'annotations')),
    ...validatePodSpecificAnnotations(meta.annotations, spec, child(p, 'annotations')),
    ...validatePodSpec(spec, child(p, 'spec'), { resourceIsPod: false, podName: '' }),
  ];
  if (list(spec.ephemeralContainers).length > 0) errs.push(field.forbidden(child(p, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  return errs;
}
