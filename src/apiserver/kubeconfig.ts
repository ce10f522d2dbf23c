// Writes kubeconfig files that kubectl and client libraries read unmodified.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigParams {
  server: string;
  caPem: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
  user?: string;
  cluster?: string;
}

export function renderKubeconfig(p: KubeconfigParams): string {
  const cluster = p.cluster ?? 'default';
  const user = p.user ?? 'default';
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const userEntry: Record<string, string> = {};
  if (p.clientCertPem && p.clientKeyPem) {
    userEntry['client-certificate-data'] = b64(p.clientCertPem);
    userEntry['client-key-data'] = b64(p.clientKeyPem);
  }
  if (p.token) userEntry.token = p.token;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: p.server, 'certificate-authority-data': b64(p.caPem) } }],
    users: [{ name: user, user: userEntry }],
    contexts: [{ name: cluster, context: { cluster, user } }],
    'current-context': cluster,
    preferences: {},
  });
}

export function writeKubeconfig(path: string, p: KubeconfigParams): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderKubeconfig(p), { mode: 0o600 });
}
