// PersistentVolumes and PersistentVolumeClaims.

import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { doc } from './descriptions.js';
import { age, ageColumn, arr, col, isDeleting, nameColumn, nameOf, quantity, typed, wide } from './common.js';
import type { Obj, Printer, TableCell } from './types.js';

const BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** 'RWO,ROX,RWX,RWOP' in that fixed order, duplicates ignored. */
export function accessModes(modes: string[] | undefined): string {
  const set = new Set(arr(modes));
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** The beta annotation wins over spec.storageClassName, as upstream's helpers read it. */
function storageClass(annotations: Record<string, string> | undefined, specClass: string | undefined | null): string {
  if (annotations && Object.hasOwn(annotations, BETA_STORAGE_CLASS)) return annotations[BETA_STORAGE_CLASS] ?? '';
  return specClass ?? '';
}

function pvCells(obj: Obj, now: number): TableCell[] {
  const pv = typed<PersistentVolume>(obj);
  const ref = pv.spec?.claimRef;
  return [
    nameOf(obj),
    quantity(pv.spec?.capacity?.storage),
    accessModes(pv.spec?.accessModes),
    pv.spec?.persistentVolumeReclaimPolicy ?? '',
    isDeleting(obj) ? 'Terminating' : (pv.status?.phase ?? ''),
    ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '',
    storageClass(pv.metadata?.annotations, pv.spec?.storageClassName),
    pv.spec?.volumeAttributesClassName ?? '<unset>',
    pv.status?.reason ?? '',
    age(obj, now),
    pv.spec?.volumeMode ?? '<unset>',
  ];
}

export const persistentVolumePrinter: Printer = {
  columns: [
    nameColumn,
    col('Capacity', 'string', doc['PersistentVolumeSpec.capacity']),
    col('Access Modes', 'string', doc['PersistentVolumeSpec.accessModes']),
    col('Reclaim Policy', 'string', doc['PersistentVolumeSpec.persistentVolumeReclaimPolicy']),
    col('Status', 'string', doc['PersistentVolumeStatus.phase']),
    col('Claim', 'string', doc['PersistentVolumeSpec.claimRef']),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', doc['PersistentVolumeStatus.reason']),
    ageColumn,
    wide(col('VolumeMode', 'string', doc['PersistentVolumeSpec.volumeMode'])),
  ],
  cells: pvCells,
};

function pvcCells(obj: Obj, now: number): TableCell[] {
  const pvc = typed<PersistentVolumeClaim>(obj);
  const bound = Boolean(pvc.spec?.volumeName);
  return [
    nameOf(obj),
    isDeleting(obj) ? 'Terminating' : (pvc.status?.phase ?? ''),
    pvc.spec?.volumeName ?? '',
    // Capacity and access modes are only shown once a volume is bound.
    bound ? quantity(pvc.status?.capacity?.storage) : '',
    bound ? accessModes(pvc.status?.accessModes) : '',
    storageClass(pvc.metadata?.annotations, pvc.spec?.storageClassName),
    pvc.spec?.volumeAttributesClassName ?? '<unset>',
    age(obj, now),
    pvc.spec?.volumeMode ?? '<unset>',
  ];
}

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    nameColumn,
    col('Status', 'string', doc['PersistentVolumeClaimStatus.phase']),
    col('Volume', 'string', doc['PersistentVolumeClaimSpec.volumeName']),
    col('Capacity', 'string', doc['PersistentVolumeClaimStatus.capacity']),
    col('Access Modes', 'string', doc['PersistentVolumeClaimStatus.accessModes']),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn,
    wide(col('VolumeMode', 'string', doc['PersistentVolumeClaimSpec.volumeMode'])),
  ],
  cells: pvcCells,
};
