// The pod a DaemonSet creates for a node (CreatePodTemplate + ReplaceDaemonSetPodNodeNameNodeAffinity
// + GetPodFromTemplate): the template with the daemon tolerations, the revision hash and template
// generation labels, a required node affinity on `metadata.name` for the scheduler to honour, the
// set as controller, and a generated name `<set>-xxxxx`.

import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { newControllerRef } from '../../api/ownerrefs.js';
import { podRevisionLabel } from '../history/revisions.js';
import { daemonPodTolerations, pinToNode } from './eligibility.js';
import { templateGeneration, templateGenerationLabel } from './plan.js';

export function newDaemonPod(ds: DaemonSet, nodeName: string, hash: string): Pod {
  const template = structuredClone(ds.spec?.template ?? {});
  const spec = template.spec ?? { containers: [] };
  spec.tolerations = daemonPodTolerations(spec);
  spec.affinity = pinToNode(spec.affinity, nodeName);
  const labels: Record<string, string> = { ...(template.metadata?.labels ?? {}), [podRevisionLabel]: hash };
  // Upstream labels the generation only when the API server keeps the deprecated annotation;
  // without it the set's metadata.generation is the closest (informational: updates match by hash).
  const generation = templateGeneration(ds) ?? ds.metadata?.generation;
  if (generation !== undefined) labels[templateGenerationLabel] = String(generation);
  const metadata: NonNullable<Pod['metadata']> = {
    generateName: `${ds.metadata?.name ?? ''}-`,
    namespace: ds.metadata?.namespace ?? '',
    labels,
    ownerReferences: [newControllerRef({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: ds.metadata ?? {} })],
  };
  if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
  if (template.metadata?.finalizers) metadata.finalizers = [...template.metadata.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec };
}
