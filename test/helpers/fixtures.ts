// Object builders shared by the controller tests, and the kubelet's part a test plays (pod
// status). Builders specific to one controller live next to its tests.

import type { KObject } from '../../src/apiserver/object.js';
import type { Client } from '../../src/client/client.js';
import { res } from './resources.js';

export function node(name: string, opts: { ready?: 'True' | 'False' | 'Unknown'; labels?: Record<string, string>; heartbeat?: string; podCIDR?: string } = {}): KObject {
  const hb = opts.heartbeat ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: opts.labels ?? {} },
    spec: opts.podCIDR ? { podCIDR: opts.podCIDR, podCIDRs: [opts.podCIDR] } : {},
    status: opts.ready ? { conditions: [{ type: 'Ready', status: opts.ready, reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: hb, lastTransitionTime: hb }] } : {},
  };
}

export function pod(name: string, labels: Record<string, string>, spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }], ...spec },
  };
}

export interface PodStatusOptions {
  ready: boolean;
  /** Running unless given. */
  phase?: string;
  /** Sets podIP and podIPs. */
  ip?: string;
  /** When the Ready condition changed (ms since the epoch); now unless given. */
  at?: number;
}

/** Plays kubelet: the pod's phase and Ready condition (replacing its conditions), and its IP. */
export async function setPodStatus(client: Client, ns: string, name: string, s: PodStatusOptions): Promise<KObject> {
  const at = new Date(s.at ?? Date.now()).toISOString().replace(/\.\d+Z$/, 'Z');
  const status: Record<string, unknown> = { phase: s.phase ?? 'Running', conditions: [{ type: 'Ready', status: s.ready ? 'True' : 'False', lastTransitionTime: at }] };
  if (s.ip) Object.assign(status, { podIP: s.ip, podIPs: [{ ip: s.ip }] });
  return client.patch(res.pods, name, { status }, 'merge', { namespace: ns, subresource: 'status' });
}

export function service(name: string, selector: Record<string, string> | undefined, ports: Record<string, unknown>[] = [{ name: 'http', port: 80, targetPort: 'http' }], extra: Record<string, unknown> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ...(selector ? { selector } : {}), ports, ...extra } };
}

/** The events about objects named `name` in `ns`. */
export async function eventsFor(client: Client, ns: string, name: string): Promise<{ reason: string; message: string; type: string }[]> {
  const list = await client.list(res.events, { namespace: ns });
  return list.items
    .filter((e) => (e.involvedObject as { name?: string }).name === name)
    .map((e) => ({ reason: String(e.reason), message: String(e.message), type: String(e.type) }));
}
