// Objects the API server benchmark writes: small ConfigMaps and realistic ~3 KB pods.
//
// The pod is shaped like one a Deployment would create (labels, owner reference, two containers
// with env, resources, probes and mounts, volumes, tolerations) and is never scheduled, so it
// stays Pending. Its stored size (after server defaults) is about 3 KB; the benchmark reports
// the measured size from the list response.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';

export function configMap(namespace: string, name: string, data: Record<string, string>): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { app: 'bench' } }, data };
}

/** A deterministic pseudo-hash so that each pod's labels and uids differ like real ones. */
function hash(i: number, salt: number): string {
  let x = (i + 1) * 2654435761 + salt * 40503;
  let s = '';
  for (let k = 0; k < 10; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += 'bcdfghjklmnpqrstvwxz2456789'[x % 27];
  }
  return s;
}

export function pod(namespace: string, name: string, i: number): Pod {
  const app = `svc-${i % 50}`;
  const rsHash = hash(i % 500, 1);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      labels: {
        app,
        'app.kubernetes.io/name': app,
        'app.kubernetes.io/instance': `${app}-prod`,
        'app.kubernetes.io/version': `1.${i % 7}.${i % 13}`,
        'app.kubernetes.io/component': i % 3 === 0 ? 'frontend' : 'backend',
        'pod-template-hash': rsHash,
        team: `team-${i % 9}`,
      },
      annotations: {
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '9090',
        'prometheus.io/path': '/metrics',
        'checksum/config': hash(i, 2) + hash(i, 3) + hash(i, 4) + hash(i, 5),
        'kubectl.kubernetes.io/restartedAt': '2024-05-01T10:00:00Z',
      },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-${rsHash}`, uid: `6f1c${hash(i % 500, 6)}-0000-4000-8000-${hash(i % 500, 7)}00`, controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: {
      serviceAccountName: 'default',
      priority: 0,
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000 },
      containers: [
        {
          name: 'app',
          image: `registry.example.com/acme/${app}:v1.${i % 7}.${i % 13}`,
          command: ['/usr/local/bin/server'],
          args: ['--config=/etc/app/config.yaml', '--log-level=info', `--shard=${i % 16}`],
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
          ],
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
            { name: 'DATABASE_URL', value: `postgres://db-${i % 4}.data.svc.cluster.local:5432/app` },
            { name: 'CACHE_ADDR', value: 'redis-master.cache.svc.cluster.local:6379' },
            { name: 'FEATURE_FLAGS', value: 'new-ui,fast-path,metrics-v2' },
          ],
          resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/app', readOnly: true },
            { name: 'cache', mountPath: '/var/cache/app' },
          ],
          readinessProbe: { httpGet: { path: '/readyz', port: 8080 }, periodSeconds: 5, failureThreshold: 3 },
          livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 10, periodSeconds: 10 },
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        },
        {
          name: 'log-shipper',
          image: 'registry.example.com/infra/log-shipper:2.3.1',
          args: ['--input=/var/log/app', '--output=forward://logs.infra.svc:24224'],
          env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
          volumeMounts: [{ name: 'cache', mountPath: '/var/log/app', subPath: 'logs' }],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: `${app}-config`, defaultMode: 420 } },
        { name: 'cache', emptyDir: { sizeLimit: '1Gi' } },
      ],
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'dedicated', operator: 'Equal', value: 'apps', effect: 'NoSchedule' },
      ],
    },
  };
}
