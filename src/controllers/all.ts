// Every controller `skiff server` runs, by upstream's kube-controller-manager name. Each starts
// from the shared context; order does not matter (informers sync before workers run).

import type { ControllerDescriptor } from './context.js';
import { startDisruptionController } from './disruption/controller.js';
import { startCronJobController } from './cronjob/controller.js';
import { startDaemonSetController } from './daemonset/controller.js';
import { startDeploymentController } from './deployment/controller.js';
import { startEndpointsController } from './endpoints/controller.js';
import { startEndpointSliceController } from './endpointslice/controller.js';
import { startGarbageCollector } from './gc/controller.js';
import { startJobControllers } from './job/controller.js';
import { startPodGcController } from './podgc/controller.js';
import { startNamespaceController } from './namespace/controller.js';
import { startNodeIpamController } from './nodeipam/controller.js';
import { startNodeLifecycleController } from './nodelifecycle/controller.js';
import { startTaintEvictionController } from './nodelifecycle/taint-eviction.js';
import { startReplicaSetController } from './replicaset/controller.js';
import { startRootCaController } from './rootca/controller.js';
import { startServiceAccountController } from './serviceaccount/controller.js';
import { startStatefulSetController } from './statefulset/controller.js';

export const controllers: ControllerDescriptor[] = [
  { name: 'serviceaccount', start: startServiceAccountController },
  { name: 'root-ca-cert-publisher', start: startRootCaController },
  { name: 'garbage-collector', start: startGarbageCollector },
  { name: 'disruption', start: startDisruptionController },
  { name: 'namespace', start: (ctx) => startNamespaceController(ctx) },
  { name: 'pod-garbage-collector', start: (ctx) => void startPodGcController(ctx) },
  { name: 'endpointslice', start: (ctx) => startEndpointSliceController(ctx) },
  { name: 'endpoint', start: startEndpointsController },
  { name: 'node-lifecycle', start: (ctx) => startNodeLifecycleController(ctx) },
  { name: 'taint-eviction-controller', start: startTaintEvictionController },
  { name: 'node-ipam', start: (ctx) => startNodeIpamController(ctx) },
  { name: 'replicaset', start: startReplicaSetController },
  { name: 'deployment', start: startDeploymentController },
  { name: 'job', start: startJobControllers },
  { name: 'cronjob', start: startCronJobController },
  { name: 'daemonset', start: startDaemonSetController },
  { name: 'statefulset', start: startStatefulSetController },
];
