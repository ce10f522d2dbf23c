// A pod client that keeps only what the simulator reads, so that one process can hold 150,000
// pods: an informer built on it stores a few hundred bytes per pod instead of the full object
// (managedFields, volumes, env, resources …). It plays the part of client-go's informer
// transform: the objects are reduced as they arrive from list and watch, before the store sees
// them, so the informer's contract (its store holds what it was given) is kept.
//
// What is kept: identity (name, namespace, uid, resourceVersion), deletion marks, the sim's own
// annotations, spec.nodeName/restartPolicy/hostNetwork, container names and images (init
// containers with their restartPolicy), and of the status: phase, startTime, podIP, the
// PodScheduled and Ready conditions and per container its ID and state.

import type { Container, ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import type { ResourceInfo } from '../api/resources.js';
import type { KObject } from '../apiserver/object.js';
import { Client, type KList, type ListOptions, type WatchOptions } from '../client/client.js';
import type { WatchEvent } from '../client/transport.js';

const annotationPrefix = 'skiff.dev/sim';

function slimContainer(c: Container): Container {
  const r = (c as Container & { restartPolicy?: string }).restartPolicy;
  return { name: c.name, ...(c.image ? { image: c.image } : {}), ...(r ? { restartPolicy: r } : {}) } as Container;
}

function slimContainerStatus(s: ContainerStatus): ContainerStatus {
  const out: ContainerStatus = { name: s.name, image: s.image, imageID: s.imageID, ready: s.ready, restartCount: s.restartCount };
  if (s.containerID) out.containerID = s.containerID;
  if (s.state) out.state = s.state;
  if (s.lastState?.terminated?.containerID) out.lastState = { terminated: { exitCode: s.lastState.terminated.exitCode, containerID: s.lastState.terminated.containerID } };
  return out;
}

export function slimPod(obj: KObject): KObject {
  const pod = obj as unknown as Pod;
  const m = obj.metadata;
  const meta: KObject['metadata'] = { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion };
  if (m.deletionTimestamp) meta.deletionTimestamp = m.deletionTimestamp;
  if (m.deletionGracePeriodSeconds !== undefined) meta.deletionGracePeriodSeconds = m.deletionGracePeriodSeconds;
  const ann = Object.entries(m.annotations ?? {}).filter(([k]) => k.startsWith(annotationPrefix));
  if (ann.length) meta.annotations = Object.fromEntries(ann);
  const spec = pod.spec;
  const st = pod.status;
  const status: Record<string, unknown> = {};
  if (st?.phase) status.phase = st.phase;
  if (st?.startTime) status.startTime = st.startTime;
  if (st?.podIP) status.podIP = st.podIP;
  const conds = st?.conditions?.filter((c) => c.type === 'PodScheduled' || c.type === 'Ready');
  if (conds?.length) status.conditions = conds;
  if (st?.containerStatuses) status.containerStatuses = st.containerStatuses.map(slimContainerStatus);
  if (st?.initContainerStatuses) status.initContainerStatuses = st.initContainerStatuses.map(slimContainerStatus);
  return {
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: meta,
    spec: {
      ...(spec?.nodeName ? { nodeName: spec.nodeName } : {}),
      ...(spec?.restartPolicy ? { restartPolicy: spec.restartPolicy } : {}),
      ...(spec?.hostNetwork ? { hostNetwork: true } : {}),
      containers: (spec?.containers ?? []).map(slimContainer),
      ...(spec?.initContainers?.length ? { initContainers: spec.initContainers.map(slimContainer) } : {}),
    },
    status,
  };
}

export class SlimPodClient extends Client {
  override async list(info: ResourceInfo, opts: ListOptions = {}): Promise<KList> {
    const list = await super.list(info, opts);
    list.items = list.items.map(slimPod);
    return list;
  }

  override watch(info: ResourceInfo, opts: WatchOptions, onEvent: (ev: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    return super.watch(
      info,
      opts,
      (ev) => {
        const o = ev.object as KObject | undefined;
        const plain = ev.type === 'BOOKMARK' || ev.type === 'ERROR' || !o || typeof o.metadata !== 'object' || o.metadata === null;
        onEvent(plain ? ev : { type: ev.type, object: slimPod(o) as unknown as Record<string, unknown> });
      },
      signal,
    );
  }
}
