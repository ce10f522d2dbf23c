// The resources tests read and write through a `Client`, by one name each.

import { resourceOf } from '../../src/controllers/context.js';

export const res = {
  pods: resourceOf('', 'Pod'),
  nodes: resourceOf('', 'Node'),
  services: resourceOf('', 'Service'),
  endpoints: resourceOf('', 'Endpoints'),
  events: resourceOf('', 'Event'),
  configMaps: resourceOf('', 'ConfigMap'),
  pvcs: resourceOf('', 'PersistentVolumeClaim'),
  slices: resourceOf('discovery.k8s.io', 'EndpointSlice'),
  leases: resourceOf('coordination.k8s.io', 'Lease'),
  pdbs: resourceOf('policy', 'PodDisruptionBudget'),
  replicaSets: resourceOf('apps', 'ReplicaSet'),
  deployments: resourceOf('apps', 'Deployment'),
  daemonSets: resourceOf('apps', 'DaemonSet'),
  statefulSets: resourceOf('apps', 'StatefulSet'),
  revisions: resourceOf('apps', 'ControllerRevision'),
  jobs: resourceOf('batch', 'Job'),
  cronJobs: resourceOf('batch', 'CronJob'),
};
