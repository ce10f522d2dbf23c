// PersistentVolume and PersistentVolumeClaim defaults (core/v1).

import { canonicalizeResourceList, defPtr, defStr, ensure, maybe, type Obj } from './util.js';

/** SetDefaults_PersistentVolumeClaimSpec, also applied to claim templates. */
export function defaultPVCSpec(spec: Obj): void {
  defPtr(spec, 'volumeMode', 'Filesystem');
  const resources = maybe(spec, 'resources');
  if (resources) {
    canonicalizeResourceList(resources.requests, true);
    canonicalizeResourceList(resources.limits, true);
  }
}

export function defaultPVC(pvc: Obj): void {
  defaultPVCSpec(ensure(pvc, 'spec'));
  const status = ensure(pvc, 'status');
  defStr(status, 'phase', 'Pending');
  canonicalizeResourceList(status.capacity, true);
  canonicalizeResourceList(status.allocatedResources, true);
}

export function defaultPV(pv: Obj): void {
  const spec = ensure(pv, 'spec');
  defStr(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  defPtr(spec, 'volumeMode', 'Filesystem');
  canonicalizeResourceList(spec.capacity, true);
  const hostPath = maybe(spec, 'hostPath');
  if (hostPath) defPtr(hostPath, 'type', '');
  defStr(ensure(pv, 'status'), 'phase', 'Pending');
}
