// Service and Endpoints (core/v1): ValidateService, ValidateServiceUpdate, ValidateEndpoints.

import { isIP } from 'node:net';
import { field, type FieldError } from '../errors.js';
import { validatePortNumOrName } from './containers.js';
import { validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta.js';
import {
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidCIDR,
  isValidIP,
  isValidPortNum,
  nameIsDNS1035Label,
  nameIsDNSSubdomain,
  nonSpecialIPErrors,
} from './names.js';
import { child, goIntOrString, goStringSlice, index, isObj, isSet, list, num, obj, objList, str, strList, type Obj } from './util.js';

const protocols = ['SCTP', 'TCP', 'UDP'];
const serviceTypes = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const maxClientIPAffinitySeconds = 86400;

function isHeadless(spec: Obj): boolean {
  const ips = strList(spec.clusterIPs);
  return ips.length === 1 && ips[0] === 'None';
}

function externallyAccessible(spec: Obj): boolean {
  const t = str(spec.type);
  return t === 'LoadBalancer' || t === 'NodePort' || (t === 'ClusterIP' && list(spec.externalIPs).length > 0);
}

function needsHealthCheck(spec: Obj): boolean {
  return str(spec.type) === 'LoadBalancer' && str(spec.externalTrafficPolicy) === 'Local';
}

function validateServicePort(sp: Obj, requireName: boolean, names: Set<string>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(sp.name);
  if (requireName && name === '') errs.push(field.required(child(p, 'name'), ''));
  else if (name !== '') {
    for (const m of isDNS1123Label(name)) errs.push(field.invalid(child(p, 'name'), name, m));
    if (names.has(name)) errs.push(field.duplicate(child(p, 'name'), name));
    else names.add(name);
  }
  const port = num(sp.port) ?? 0;
  for (const m of isValidPortNum(port)) errs.push(field.invalid(child(p, 'port'), port, m));
  const proto = str(sp.protocol);
  if (proto === '') errs.push(field.required(child(p, 'protocol'), ''));
  else if (!protocols.includes(proto)) errs.push(field.notSupported(child(p, 'protocol'), proto, protocols));
  errs.push(...validatePortNumOrName(sp.targetPort, child(p, 'targetPort')));
  if (isSet(sp.appProtocol)) for (const m of isQualifiedName(str(sp.appProtocol))) errs.push(field.invalid(child(p, 'appProtocol'), str(sp.appProtocol), m));
  return errs;
}

function goServicePortKey(protocol: string, port: number): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(protocol)}, AppProtocol:(*string)(nil), Port:${port}, TargetPort:${goIntOrString(0)}, NodePort:0}`;
}

function validateClusterIPs(spec: Obj): FieldError[] {
  if (str(spec.type) === 'ExternalName') return [];
  const errs: FieldError[] = [];
  const p = 'spec.clusterIPs';
  const clusterIP = str(spec.clusterIP);
  const ips = strList(spec.clusterIPs);
  if (clusterIP !== '') {
    if (ips.length === 0) errs.push(field.required(p, ''));
    else if (ips[0] !== clusterIP) errs.push(field.invalidRaw(p, goStringSlice(ips), 'first value must match `clusterIP`'));
  } else if (ips.length > 0) {
    errs.push(field.invalidRaw(p, goStringSlice(ips), 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  strList(spec.ipFamilies).forEach((f, i) => {
    if (f !== 'IPv4' && f !== 'IPv6') errs.push(field.notSupported(index('spec.ipFamilies', i), f, ['IPv4', 'IPv6']));
    if (seen.has(f)) errs.push(field.duplicate(index('spec.ipFamilies', i), f));
    seen.add(f);
  });
  if (isSet(spec.ipFamilyPolicy)) {
    const policies = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
    if (!policies.includes(str(spec.ipFamilyPolicy))) errs.push(field.notSupported('spec.ipFamilyPolicy', str(spec.ipFamilyPolicy), policies));
  }
  let bad = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) {
        bad = true;
        errs.push(field.invalidRaw(p, goStringSlice(ips), "'None' must be the first and only value"));
      }
      return;
    }
    const msgs = isValidIP(ip);
    if (msgs.length > 0) bad = true;
    for (const m of msgs) errs.push(field.invalid(index(p, i), ip, m));
  });
  if (ips.length > 2) errs.push(field.invalidRaw(p, goStringSlice(ips), 'may only hold up to 2 values'));
  if (bad) return errs;
  if (ips.length > 1 && isIP(ips[0]!) === isIP(ips[1]!)) errs.push(field.invalidRaw(p, goStringSlice(ips), 'may specify no more than one IP for each IP family'));
  const families = strList(spec.ipFamilies);
  if (!isHeadless(spec)) {
    ips.forEach((ip, i) => {
      if (i >= families.length) return;
      if (families[i] === 'IPv4' && isIP(ip) === 6) errs.push(field.invalid(index(p, i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (families[i] === 'IPv6' && isIP(ip) !== 6) errs.push(field.invalid(index(p, i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

/** Spec rules of ValidateService (metadata is checked by the callers). */
function validateServiceSpec(svc: Obj): FieldError[] {
  const spec = obj(svc.spec);
  const errs: FieldError[] = [];
  const type = str(spec.type);
  const ports = objList(spec.ports);
  if (ports.length === 0 && !isHeadless(spec) && type !== 'ExternalName') errs.push(field.required('spec.ports', ''));
  if ((type === 'LoadBalancer' || type === 'NodePort') && isHeadless(spec)) {
    errs.push(field.invalid('spec.clusterIPs[0]', 'None', `may not be set to 'None' for ${type} services`));
  }
  if (type === 'ExternalName') {
    if (list(spec.clusterIPs).length > 0) errs.push(field.forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    if (list(spec.ipFamilies).length > 0) errs.push(field.forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
    if (isSet(spec.ipFamilyPolicy)) errs.push(field.forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (cname === '') errs.push(field.required('spec.externalName', ''));
    else for (const m of isDNS1123Subdomain(cname)) errs.push(field.invalid('spec.externalName', cname, m));
  }
  const names = new Set<string>();
  ports.forEach((sp, i) => errs.push(...validateServicePort(sp, ports.length > 1, names, index('spec.ports', i))));
  if (isSet(spec.selector)) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const affinity = str(spec.sessionAffinity);
  if (affinity === '') errs.push(field.required('spec.sessionAffinity', ''));
  else if (affinity !== 'ClientIP' && affinity !== 'None') errs.push(field.notSupported('spec.sessionAffinity', affinity, ['ClientIP', 'None']));
  if (affinity === 'ClientIP') errs.push(...validateClientIPAffinity(spec.sessionAffinityConfig));
  else if (affinity === 'None' && isSet(spec.sessionAffinityConfig)) errs.push(field.forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  errs.push(...validateClusterIPs(spec));
  strList(spec.externalIPs).forEach((ip, i) => {
    const ip_ = index('spec.externalIPs', i);
    const msgs = isValidIP(ip);
    if (msgs.length > 0) for (const m of msgs) errs.push(field.invalid(ip_, ip, m));
    else for (const m of nonSpecialIPErrors(ip)) errs.push(field.invalid(ip_, ip, m));
  });
  if (type === '') errs.push(field.required('spec.type', ''));
  else if (!serviceTypes.includes(type)) errs.push(field.notSupported('spec.type', type, serviceTypes));
  if (type === 'ClusterIP') {
    ports.forEach((sp, i) => {
      if ((num(sp.nodePort) ?? 0) !== 0) errs.push(field.forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  const portKeys = new Set<string>();
  ports.forEach((sp, i) => {
    const np = num(sp.nodePort) ?? 0;
    if (np !== 0) {
      const k = `${str(sp.protocol)}/${np}`;
      if (nodePorts.has(k)) errs.push(field.duplicate(child(index('spec.ports', i), 'nodePort'), np));
      nodePorts.add(k);
    }
    const k = `${str(sp.protocol)}/${num(sp.port) ?? 0}`;
    if (portKeys.has(k)) errs.push(field.duplicateRaw(index('spec.ports', i), goServicePortKey(str(sp.protocol), num(sp.port) ?? 0)));
    portKeys.add(k);
  });
  const ranges = strList(spec.loadBalancerSourceRanges);
  if (ranges.length > 0) {
    if (type !== 'LoadBalancer') errs.push(field.forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      for (const m of isValidCIDR(r.trim())) errs.push(field.invalid(index('spec.LoadBalancerSourceRanges', i), r.trim(), m));
    });
  }
  if (isSet(spec.allocateLoadBalancerNodePorts) && type !== 'LoadBalancer') {
    errs.push(field.forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && !isSet(spec.allocateLoadBalancerNodePorts)) errs.push(field.required('allocateLoadBalancerNodePorts', ''));
  if (isSet(spec.loadBalancerClass)) {
    if (type !== 'LoadBalancer') errs.push(field.forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
    else for (const m of isQualifiedName(str(spec.loadBalancerClass))) errs.push(field.invalid('spec.loadBalancerClass', str(spec.loadBalancerClass), m));
  }
  const etp = str(spec.externalTrafficPolicy);
  if (!externallyAccessible(spec)) {
    if (etp !== '') errs.push(field.invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (etp === '') {
    errs.push(field.required('spec.externalTrafficPolicy', ''));
  } else if (etp !== 'Cluster' && etp !== 'Local') {
    errs.push(field.notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  }
  const hc = num(spec.healthCheckNodePort) ?? 0;
  if (!needsHealthCheck(spec)) {
    if (hc !== 0) errs.push(field.invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (hc === 0) {
    errs.push(field.required('spec.healthCheckNodePort', ''));
  } else {
    for (const m of isValidPortNum(hc)) errs.push(field.invalid('spec.healthCheckNodePort', hc, m));
  }
  if (!isSet(spec.internalTrafficPolicy)) {
    if (type === 'NodePort' || type === 'LoadBalancer' || type === 'ClusterIP') errs.push(field.required('spec.internalTrafficPolicy', ''));
  } else if (!['Cluster', 'Local'].includes(str(spec.internalTrafficPolicy))) {
    errs.push(field.notSupported('spec.internalTrafficPolicy', str(spec.internalTrafficPolicy), ['Cluster', 'Local']));
  }
  if (isSet(spec.trafficDistribution)) {
    const td = ['PreferClose', 'PreferSameZone', 'PreferSameNode'];
    if (!td.includes(str(spec.trafficDistribution))) errs.push(field.notSupported('spec.trafficDistribution', str(spec.trafficDistribution), td));
  }
  return errs;
}

function validateClientIPAffinity(cfgV: unknown): FieldError[] {
  const p = 'spec.sessionAffinityConfig';
  const when = 'when session affinity type is ClientIP';
  if (!isObj(cfgV)) return [field.required(p, when)];
  if (!isObj(cfgV.clientIP)) return [field.required(child(p, 'clientIP'), when)];
  const t = num(cfgV.clientIP.timeoutSeconds);
  if (t === undefined) return [field.required(child(p, 'clientIP', 'timeoutSeconds'), when)];
  if (t <= 0 || t > maxClientIPAffinitySeconds) {
    return [field.invalid(child(p, 'clientIP', 'timeoutSeconds'), t, `must be greater than 0 and less than ${maxClientIPAffinitySeconds}`)];
  }
  return [];
}

export function validateService(svc: Obj): FieldError[] {
  return [...validateObjectMeta(svc.metadata, true, nameIsDNS1035Label), ...validateServiceSpec(svc)];
}

export function validateServiceUpdate(n: Obj, o: Obj): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  const ns = obj(n.spec);
  const os = obj(o.spec);
  const external = str(ns.type) === 'ExternalName' || str(os.type) === 'ExternalName';
  if (!external && !(isHeadless(ns) && isHeadless(os))) {
    const newIPs = strList(ns.clusterIPs);
    const oldIPs = strList(os.clusterIPs);
    const p = 'spec.clusterIPs';
    if (newIPs.length === oldIPs.length) {
      oldIPs.forEach((ip, i) => {
        if (ip !== newIPs[i]) errs.push(field.invalidRaw(index(p, i), goStringSlice(newIPs), 'may not change once set'));
      });
    } else if (oldIPs.length > newIPs.length) {
      if (newIPs.length === 0) errs.push(field.invalidRaw(index(p, 0), goStringSlice(ns.clusterIPs), 'primary clusterIP can not be unset'));
      else if (newIPs[0] !== oldIPs[0]) errs.push(field.invalidRaw(index(p, 0), goStringSlice(newIPs), 'may not change once set'));
      if (newIPs.length === 1 && str(ns.ipFamilyPolicy) !== 'SingleStack') {
        errs.push(field.invalid('spec.ipFamilyPolicy', isSet(ns.ipFamilyPolicy) ? str(ns.ipFamilyPolicy) : null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
      }
    } else if (oldIPs.length > 0 && newIPs[0] !== oldIPs[0]) {
      errs.push(field.invalidRaw(index(p, 0), goStringSlice(newIPs), 'may not change once set'));
    }
  }
  if (str(ns.type) === 'LoadBalancer' && str(os.type) === 'LoadBalancer' && str(ns.loadBalancerClass) !== str(os.loadBalancerClass)) {
    errs.push(field.invalid('spec.loadBalancerClass', isSet(ns.loadBalancerClass) ? str(ns.loadBalancerClass) : null, 'may not change once set'));
  }
  if (needsHealthCheck(os) && needsHealthCheck(ns) && num(ns.healthCheckNodePort) !== num(os.healthCheckNodePort)) {
    errs.push(field.forbidden('spec.healthCheckNodePort', 'field is immutable'));
  }
  return [...errs, ...validateServiceSpec(n)];
}

function validateEndpointAddress(a: Obj, p: string): FieldError[] {
  const ip = str(a.ip);
  const errs = isValidIP(ip).map((m) => field.invalid(child(p, 'ip'), ip, m));
  if (str(a.hostname) !== '') for (const m of isDNS1123Label(str(a.hostname))) errs.push(field.invalid(child(p, 'hostname'), str(a.hostname), m));
  if (isSet(a.nodeName)) for (const m of nameIsDNSSubdomain(str(a.nodeName), false)) errs.push(field.invalid(child(p, 'nodeName'), str(a.nodeName), m));
  for (const m of nonSpecialIPErrors(ip)) errs.push(field.invalid(child(p, 'ip'), ip, m));
  return errs;
}

export function validateEndpointPort(port: Obj, requireName: boolean, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(port.name);
  if (requireName && name === '') errs.push(field.required(child(p, 'name'), ''));
  else if (name !== '') for (const m of isDNS1123Label(name)) errs.push(field.invalid(child(p, 'name'), name, m));
  const n = num(port.port) ?? 0;
  for (const m of isValidPortNum(n)) errs.push(field.invalid(child(p, 'port'), n, m));
  const proto = str(port.protocol);
  if (proto === '') errs.push(field.required(child(p, 'protocol'), ''));
  else if (!protocols.includes(proto)) errs.push(field.notSupported(child(p, 'protocol'), proto, protocols));
  if (isSet(port.appProtocol)) for (const m of isQualifiedName(str(port.appProtocol))) errs.push(field.invalid(child(p, 'appProtocol'), str(port.appProtocol), m));
  return errs;
}

function validateEndpointsBody(ep: Obj): FieldError[] {
  const errs: FieldError[] = [];
  objList(ep.subsets).forEach((ss, i) => {
    const sp = index('subsets', i);
    if (list(ss.addresses).length === 0 && list(ss.notReadyAddresses).length === 0) {
      errs.push(field.required(sp, 'must specify `addresses` or `notReadyAddresses`'));
    }
    objList(ss.addresses).forEach((a, j) => errs.push(...validateEndpointAddress(a, index(child(sp, 'addresses'), j))));
    objList(ss.notReadyAddresses).forEach((a, j) => errs.push(...validateEndpointAddress(a, index(child(sp, 'notReadyAddresses'), j))));
    const ports = objList(ss.ports);
    ports.forEach((port, j) => errs.push(...validateEndpointPort(port, ports.length > 1, index(child(sp, 'ports'), j))));
  });
  return errs;
}

export function validateEndpoints(ep: Obj): FieldError[] {
  return [...validateObjectMeta(ep.metadata, true, nameIsDNSSubdomain), ...validateEndpointsBody(ep)];
}

export function validateEndpointsUpdate(n: Obj, o: Obj): FieldError[] {
  return [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateEndpointsBody(n)];
}
