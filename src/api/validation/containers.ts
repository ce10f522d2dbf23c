// Container validation shared by regular, init and ephemeral containers: name, image, ports, env,
// volume mounts, probes, lifecycle handlers, pull policy, resources and security context.

import { field, type FieldError } from '../errors.js';
import { parseQuantity } from '../quantity.js';
import {
  isConfigMapKey,
  isDNS1123Label,
  isEnvVarName,
  isHTTPHeaderName,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
  isValidUserOrGroupID,
  nameIsDNSSubdomain,
} from './names.js';
import { validateResourceRequirements } from './resources.js';
import { child, index, isObj, isSet, list, nonNegative, num, obj, objList, str, type Obj } from './util.js';
import { validateLocalDescendingPath } from './volumes.js';

export const supportedPortProtocols = ['SCTP', 'TCP', 'UDP'];

export function validateContainerPorts(portsV: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  objList(portsV).forEach((port, i) => {
    const ip = index(p, i);
    const name = str(port.name);
    if (name !== '') {
      const msgs = isValidPortName(name);
      if (msgs.length > 0) for (const m of msgs) errs.push(field.invalid(child(ip, 'name'), name, m));
      else if (names.has(name)) errs.push(field.duplicate(child(ip, 'name'), name));
      else names.add(name);
    }
    const cp = num(port.containerPort) ?? 0;
    if (cp === 0) errs.push(field.required(child(ip, 'containerPort'), ''));
    else for (const m of isValidPortNum(cp)) errs.push(field.invalid(child(ip, 'containerPort'), cp, m));
    const hp = num(port.hostPort) ?? 0;
    if (hp !== 0) for (const m of isValidPortNum(hp)) errs.push(field.invalid(child(ip, 'hostPort'), hp, m));
    const proto = str(port.protocol);
    if (proto === '') errs.push(field.required(child(ip, 'protocol'), ''));
    else if (!supportedPortProtocols.includes(proto)) errs.push(field.notSupported(child(ip, 'protocol'), proto, supportedPortProtocols));
  });
  return errs;
}

const envFieldPaths = [
  'metadata.name',
  'metadata.namespace',
  'metadata.uid',
  'spec.nodeName',
  'spec.serviceAccountName',
  'status.hostIP',
  'status.hostIPs',
  'status.podIP',
  'status.podIPs',
];
/** Field labels the v1 Pod downward API converts (ConvertDownwardAPIFieldLabel). */
const convertibleFieldPaths = new Set([...envFieldPaths, 'metadata.annotations', 'metadata.labels', 'spec.restartPolicy', 'spec.schedulerName', 'status.phase']);
const resourceFieldPaths = ['limits.cpu', 'limits.ephemeral-storage', 'limits.memory', 'requests.cpu', 'requests.ephemeral-storage', 'requests.memory'];

/** An ObjectFieldSelector (downward API). `expressions` lists the allowed unsubscripted paths. */
export function validateObjectFieldSelector(fsV: unknown, expressions: string[], p: string): FieldError[] {
  const fs = obj(fsV);
  if (str(fs.apiVersion) === '') return [field.required(child(p, 'apiVersion'), '')];
  const fp = str(fs.fieldPath);
  if (fp === '') return [field.required(child(p, 'fieldPath'), '')];
  const sub = /^(metadata\.(?:labels|annotations))\['(.*)'\]$/.exec(fp);
  if (str(fs.apiVersion) !== 'v1') return [field.invalid(child(p, 'fieldPath'), fp, `error converting fieldPath: unsupported pod version: ${str(fs.apiVersion)}`)];
  if (sub) {
    const k = sub[1] === 'metadata.annotations' ? sub[2]!.toLowerCase() : sub[2]!;
    return isQualifiedName(k).map((m) => field.invalid(p, k, m));
  }
  if (!convertibleFieldPaths.has(fp)) return [field.invalid(child(p, 'fieldPath'), fp, `error converting fieldPath: field label not supported: ${fp}`)];
  if (!expressions.includes(fp)) return [field.notSupported(child(p, 'fieldPath'), fp, expressions)];
  return [];
}

const cpuDivisors = new Set(['1m', '1']);
const byteDivisors = new Set(['1', '1k', '1M', '1G', '1T', '1P', '1E', '1Ki', '1Mi', '1Gi', '1Ti', '1Pi', '1Ei']);

export function validateResourceFieldSelector(fsV: unknown, p: string, volume: boolean): FieldError[] {
  const fs = obj(fsV);
  const errs: FieldError[] = [];
  const resource = str(fs.resource);
  if (volume && str(fs.containerName) === '') errs.push(field.required(child(p, 'containerName'), ''));
  else if (resource === '') errs.push(field.required(child(p, 'resource'), ''));
  else if (!resourceFieldPaths.includes(resource) && !resource.startsWith('requests.hugepages-') && !resource.startsWith('limits.hugepages-')) {
    errs.push(field.notSupported(child(p, 'resource'), resource, resourceFieldPaths));
  }
  const divisor = typeof fs.divisor === 'string' || typeof fs.divisor === 'number' ? parseQuantity(fs.divisor) : null;
  if (divisor && !divisor.isZero()) {
    const d = divisor.toString();
    if ((resource === 'limits.cpu' || resource === 'requests.cpu') && !cpuDivisors.has(d)) {
      errs.push(field.invalid(child(p, 'divisor'), resource, "only divisor's values 1m and 1 are supported with the cpu resource"));
    } else if ((resource.endsWith('.memory') || resource.endsWith('.ephemeral-storage')) && !byteDivisors.has(d)) {
      const what = resource.endsWith('.memory') ? 'memory' : 'local ephemeral storage';
      errs.push(field.invalid(child(p, 'divisor'), resource, `only divisor's values 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei are supported with the ${what} resource`));
    }
  }
  return errs;
}

function validateKeySelector(sV: unknown, p: string): FieldError[] {
  const s = obj(sV);
  const errs = nameIsDNSSubdomain(str(s.name), false).map((m) => field.invalid(child(p, 'name'), str(s.name), m));
  const k = str(s.key);
  if (k === '') errs.push(field.required(child(p, 'key'), ''));
  else for (const m of isConfigMapKey(k)) errs.push(field.invalid(child(p, 'key'), k, m));
  return errs;
}

export function validateEnv(envV: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  objList(envV).forEach((ev, i) => {
    const ip = index(p, i);
    const name = str(ev.name);
    if (name === '') errs.push(field.required(child(ip, 'name'), ''));
    else for (const m of isEnvVarName(name)) errs.push(field.invalid(child(ip, 'name'), name, m));
    if (!isObj(ev.valueFrom)) return;
    const vf = ev.valueFrom;
    const vp = child(ip, 'valueFrom');
    let sources = 0;
    if (isSet(vf.fieldRef)) {
      sources++;
      errs.push(...validateObjectFieldSelector(vf.fieldRef, envFieldPaths, child(vp, 'fieldRef')));
    }
    if (isSet(vf.resourceFieldRef)) {
      sources++;
      errs.push(...validateResourceFieldSelector(vf.resourceFieldRef, child(vp, 'resourceFieldRef'), false));
    }
    if (isSet(vf.configMapKeyRef)) {
      sources++;
      errs.push(...validateKeySelector(vf.configMapKeyRef, child(vp, 'configMapKeyRef')));
    }
    if (isSet(vf.secretKeyRef)) {
      sources++;
      errs.push(...validateKeySelector(vf.secretKeyRef, child(vp, 'secretKeyRef')));
    }
    if (sources === 0) errs.push(field.invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (str(ev.value) !== '') errs.push(field.invalid(vp, '', 'may not be specified when `value` is not empty'));
    else if (sources > 1) errs.push(field.invalid(vp, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

export function validateEnvFrom(envFromV: unknown, p: string): FieldError[] {
  const errs: FieldError[] = [];
  objList(envFromV).forEach((ev, i) => {
    const ip = index(p, i);
    const prefix = str(ev.prefix);
    if (prefix !== '') for (const m of isEnvVarName(prefix)) errs.push(field.invalid(child(ip, 'prefix'), prefix, m));
    let sources = 0;
    for (const kind of ['configMapRef', 'secretRef'] as const) {
      if (!isSet(ev[kind])) continue;
      sources++;
      const name = str(obj(ev[kind]).name);
      const np = child(ip, kind, 'name');
      if (name === '') errs.push(field.required(np, ''));
      else for (const m of nameIsDNSSubdomain(name, true)) errs.push(field.invalid(np, name, m));
    }
    if (sources === 0) errs.push(field.invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    else if (sources > 1) errs.push(field.invalid(p, '', 'may not have more than one field specified at a time'));
  });
  return errs;
}

/** `volumes` maps declared volume names to their source objects. */
export function validateVolumeMounts(mountsV: unknown, devicesV: unknown, volumes: Map<string, Obj>, container: Obj, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const mountPaths = new Set<string>();
  const devices = new Map(objList(devicesV).map((d) => [str(d.name), str(d.devicePath)]));
  objList(mountsV).forEach((m, i) => {
    const ip = index(p, i);
    const name = str(m.name);
    const mountPath = str(m.mountPath);
    if (name === '') errs.push(field.required(child(ip, 'name'), ''));
    if (!volumes.has(name)) errs.push(field.notFound(child(ip, 'name'), name));
    if (mountPath === '') errs.push(field.required(child(ip, 'mountPath'), ''));
    if (mountPaths.has(mountPath)) errs.push(field.invalid(child(ip, 'mountPath'), mountPath, 'must be unique'));
    mountPaths.add(mountPath);
    if (devices.has(name)) errs.push(field.invalid(child(ip, 'name'), name, 'must not already exist in volumeDevices'));
    if ([...devices.values()].includes(mountPath)) errs.push(field.invalid(child(ip, 'mountPath'), mountPath, 'must not already exist as a path in volumeDevices'));
    // Upstream reports these two under the list path, not the item path.
    const subPath = str(m.subPath);
    const subPathExpr = str(m.subPathExpr);
    if (subPath !== '') errs.push(...validateLocalDescendingPath(subPath, child(p, 'subPath')));
    if (subPathExpr !== '') {
      if (subPath !== '') errs.push(field.invalid(child(ip, 'subPathExpr'), subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
      errs.push(...validateLocalDescendingPath(subPathExpr, child(p, 'subPathExpr')));
    }
    if (isSet(m.mountPropagation)) {
      const prop = str(m.mountPropagation);
      const pp = child(p, 'mountPropagation');
      if (!['Bidirectional', 'HostToContainer', 'None'].includes(prop)) errs.push(field.notSupported(pp, prop, ['Bidirectional', 'HostToContainer', 'None']));
      if (prop === 'Bidirectional' && obj(container.securityContext).privileged !== true) {
        errs.push(field.forbidden(pp, 'Bidirectional mount propagation is available only to privileged containers'));
      }
    }
    if (isSet(m.recursiveReadOnly)) {
      const rro = str(m.recursiveReadOnly);
      const rp = child(p, 'recursiveReadOnly');
      if (rro === 'Enabled' || rro === 'IfPossible') {
        if (m.readOnly !== true) errs.push(field.forbidden(rp, 'may only be specified when readOnly is true'));
        if (isSet(m.mountPropagation) && str(m.mountPropagation) !== 'None') errs.push(field.forbidden(rp, 'may only be specified when mountPropagation is None or not specified'));
      } else if (rro !== 'Disabled') {
        errs.push(field.notSupported(rp, rro, ['Disabled', 'Enabled', 'IfPossible']));
      }
    }
  });
  return errs;
}

/** An IntOrString port: a number in 1..65535 or an IANA service name. */
export function validatePortNumOrName(port: unknown, p: string): FieldError[] {
  if (typeof port === 'number') return isValidPortNum(port).map((m) => field.invalid(p, port, m));
  return isValidPortName(str(port)).map((m) => field.invalid(p, str(port), m));
}

/** Exactly one of exec, httpGet, tcpSocket, grpc (probes) or sleep (lifecycle). */
export function validateHandler(hV: unknown, gracePeriod: number | undefined, p: string, kinds: readonly string[]): FieldError[] {
  const h = obj(hV);
  const errs: FieldError[] = [];
  let handlers = 0;
  for (const kind of kinds) {
    if (!isSet(h[kind])) continue;
    const kp = child(p, kind);
    if (handlers > 0) {
      errs.push(field.forbidden(kp, 'may not specify more than 1 handler type'));
      continue;
    }
    handlers++;
    const a = obj(h[kind]);
    if (kind === 'exec') {
      if (list(a.command).length === 0) errs.push(field.required(child(kp, 'command'), ''));
    } else if (kind === 'httpGet') {
      if (str(a.path) === '') errs.push(field.required(child(kp, 'path'), ''));
      errs.push(...validatePortNumOrName(a.port, child(kp, 'port')));
      const scheme = str(a.scheme);
      if (scheme !== 'HTTP' && scheme !== 'HTTPS') errs.push(field.notSupported(child(kp, 'scheme'), scheme, ['HTTP', 'HTTPS']));
      for (const hdr of objList(a.httpHeaders)) {
        for (const m of isHTTPHeaderName(str(hdr.name))) errs.push(field.invalid(child(kp, 'httpHeaders'), str(hdr.name), m));
      }
    } else if (kind === 'tcpSocket') {
      errs.push(...validatePortNumOrName(a.port, child(kp, 'port')));
    } else if (kind === 'grpc') {
      errs.push(...validatePortNumOrName(num(a.port) ?? 0, child(kp, 'port')));
    } else if (kind === 'sleep') {
      const s = num(a.seconds) ?? 0;
      if (gracePeriod !== undefined && (s <= 0 || s > gracePeriod)) {
        errs.push(field.invalid(kp, s, `must be greater than 0 and less than terminationGracePeriodSeconds (${gracePeriod})`));
      }
    }
  }
  if (handlers === 0) errs.push(field.required(p, 'must specify a handler type'));
  return errs;
}

const probeHandlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'] as const;
const lifecycleHandlers = ['exec', 'httpGet', 'tcpSocket', 'sleep'] as const;

export function validateProbe(kind: 'livenessProbe' | 'readinessProbe' | 'startupProbe', probeV: unknown, gracePeriod: number | undefined, p: string): FieldError[] {
  if (!isObj(probeV)) return [];
  const probe = probeV;
  const errs = validateHandler(probe, gracePeriod, p, probeHandlers);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...nonNegative(probe[f], child(p, f)));
  }
  const tgps = num(probe.terminationGracePeriodSeconds);
  if (tgps !== undefined && tgps <= 0) errs.push(field.invalid(child(p, 'terminationGracePeriodSeconds'), tgps, 'must be greater than 0'));
  if (kind !== 'readinessProbe' && (num(probe.successThreshold) ?? 0) !== 1) {
    errs.push(field.invalid(child(p, 'successThreshold'), num(probe.successThreshold) ?? 0, 'must be 1'));
  }
  if (kind === 'readinessProbe' && isSet(probe.terminationGracePeriodSeconds)) {
    errs.push(field.invalid(child(p, 'terminationGracePeriodSeconds'), probe.terminationGracePeriodSeconds, 'must not be set for readinessProbes'));
  }
  return errs;
}

export function validateLifecycle(lcV: unknown, gracePeriod: number | undefined, p: string): FieldError[] {
  const lc = obj(lcV);
  const errs: FieldError[] = [];
  for (const hook of ['postStart', 'preStop']) {
    if (isSet(lc[hook])) errs.push(...validateHandler(lc[hook], gracePeriod, child(p, hook), lifecycleHandlers));
  }
  return errs;
}

function validateSecurityContext(scV: unknown, p: string): FieldError[] {
  if (!isObj(scV)) return [];
  const sc = scV;
  const errs: FieldError[] = [];
  for (const f of ['runAsUser', 'runAsGroup']) {
    const id = num(sc[f]);
    if (id !== undefined) for (const m of isValidUserOrGroupID(id)) errs.push(field.invalid(child(p, f), id, m));
  }
  if (isSet(sc.procMount) && !['Default', 'Unmasked'].includes(str(sc.procMount))) {
    errs.push(field.notSupported(child(p, 'procMount'), str(sc.procMount), ['Default', 'Unmasked']));
  }
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) errs.push(field.invalid(p, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
    if (list(obj(sc.capabilities).add).includes('CAP_SYS_ADMIN')) {
      errs.push(field.invalid(p, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
    }
  }
  return errs;
}

/** Checks common to all container kinds (upstream validateContainerCommon). */
export function validateContainerCommon(c: Obj, volumes: Map<string, Obj>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(c.name);
  if (name === '') errs.push(field.required(child(p, 'name'), ''));
  else for (const m of isDNS1123Label(name)) errs.push(field.invalid(child(p, 'name'), name, m));
  if (str(c.image) === '') errs.push(field.required(child(p, 'image'), ''));
  const tmp = str(c.terminationMessagePolicy);
  if (tmp === '') errs.push(field.required(child(p, 'terminationMessagePolicy'), ''));
  else if (tmp !== 'File' && tmp !== 'FallbackToLogsOnError') errs.push(field.notSupported(child(p, 'terminationMessagePolicy'), tmp, ['File', 'FallbackToLogsOnError']));
  errs.push(...validateContainerPorts(c.ports, child(p, 'ports')));
  errs.push(...validateEnv(c.env, child(p, 'env')));
  errs.push(...validateEnvFrom(c.envFrom, child(p, 'envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, c.volumeDevices, volumes, c, child(p, 'volumeMounts')));
  const pull = str(c.imagePullPolicy);
  if (pull === '') errs.push(field.required(child(p, 'imagePullPolicy'), ''));
  else if (!['Always', 'IfNotPresent', 'Never'].includes(pull)) errs.push(field.notSupported(child(p, 'imagePullPolicy'), pull, ['Always', 'IfNotPresent', 'Never']));
  errs.push(...validateResourceRequirements(c.resources, child(p, 'resources')));
  errs.push(...validateSecurityContext(c.securityContext, child(p, 'securityContext')));
  return errs;
}
