// API discovery: the legacy documents (/api, /apis, /apis/<g>, per group-version resource lists)
// and aggregated discovery (apidiscovery.k8s.io/v2 on /api and /apis), which kubectl 1.30+ asks
// for first. All documents are computed once: the served resources do not change at run time.

import { builtinResources, groupVersion, resourceVerbs, type ResourceInfo } from '../api/resources.js';

export const serverVersion = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0+skiff',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-22T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'tsc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};

interface SubresourceDoc {
  name: string;
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

function subresourcesOf(r: ResourceInfo): SubresourceDoc[] {
  const out: SubresourceDoc[] = [];
  for (const s of r.subresources) {
    switch (s) {
      case 'status':
        out.push({ name: 'status', kind: r.kind, verbs: ['get', 'patch', 'update'] });
        break;
      case 'scale':
        out.push({ name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] });
        break;
      case 'binding':
        out.push({ name: 'binding', kind: 'Binding', verbs: ['create'] });
        break;
      case 'eviction':
        out.push({ name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
        break;
    }
  }
  if (r.kind === 'Namespace' && r.group === '') out.push({ name: 'finalize', kind: 'Namespace', verbs: ['update'] });
  return out;
}

function verbsOf(r: ResourceInfo): string[] {
  return r.kind === 'Binding' && r.group === '' ? ['create'] : [...resourceVerbs];
}

export interface GroupVersions {
  group: string;
  versions: string[];
}

export function servedGroups(resources: ResourceInfo[] = builtinResources): GroupVersions[] {
  const groups: GroupVersions[] = [];
  for (const r of resources) {
    let g = groups.find((x) => x.group === r.group);
    if (!g) groups.push((g = { group: r.group, versions: [] }));
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return groups;
}

export class Discovery {
  private readonly resourceLists = new Map<string, string>();
  readonly apiVersions: string;
  readonly groupList: string;
  private readonly groupDocs = new Map<string, string>();
  readonly aggregatedApi: Record<'v2' | 'v2beta1', string>;
  readonly aggregatedApis: Record<'v2' | 'v2beta1', string>;

  constructor(readonly resources: ResourceInfo[] = builtinResources) {
    const groups = servedGroups(resources);
    for (const g of groups) {
      for (const v of g.versions) {
        const gv = groupVersion({ group: g.group, version: v });
        this.resourceLists.set(gv, JSON.stringify(this.resourceList(gv)));
      }
    }
    this.apiVersions = JSON.stringify({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] });
    const named = groups.filter((g) => g.group !== '');
    const groupDoc = (g: GroupVersions) => ({
      name: g.group,
      versions: g.versions.map((v) => ({ groupVersion: `${g.group}/${v}`, version: v })),
      preferredVersion: { groupVersion: `${g.group}/${g.versions[0]}`, version: g.versions[0] },
    });
    this.groupList = JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: named.map(groupDoc) });
    for (const g of named) this.groupDocs.set(g.group, JSON.stringify({ kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) }));
    this.aggregatedApi = {
      v2: JSON.stringify(this.aggregated(groups.filter((g) => g.group === ''), 'v2')),
      v2beta1: JSON.stringify(this.aggregated(groups.filter((g) => g.group === ''), 'v2beta1')),
    };
    this.aggregatedApis = { v2: JSON.stringify(this.aggregated(named, 'v2')), v2beta1: JSON.stringify(this.aggregated(named, 'v2beta1')) };
  }

  groupDoc(group: string): string | undefined {
    return this.groupDocs.get(group);
  }

  resourceListDoc(gv: string): string | undefined {
    return this.resourceLists.get(gv);
  }

  private resourceList(gv: string): object {
    const resources: object[] = [];
    for (const r of this.resources.filter((x) => groupVersion(x) === gv)) {
      const doc: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: verbsOf(r) };
      if (r.shortNames.length) doc.shortNames = r.shortNames;
      if (r.categories.length) doc.categories = r.categories;
      resources.push(doc);
      for (const s of subresourcesOf(r)) {
        const sub: Record<string, unknown> = { name: `${r.plural}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: s.verbs };
        if (s.group) sub.group = s.group;
        if (s.version) sub.version = s.version;
        resources.push(sub);
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv, resources };
  }

  private aggregated(groups: GroupVersions[], version: 'v2' | 'v2beta1'): object {
    return {
      kind: 'APIGroupDiscoveryList',
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items: groups.map((g) => ({
        metadata: g.group ? { name: g.group } : {},
        versions: g.versions.map((v) => ({
          version: v,
          freshness: 'Current',
          resources: this.resources
            .filter((r) => r.group === g.group && r.version === v)
            .map((r) => {
              const doc: Record<string, unknown> = {
                resource: r.plural,
                responseKind: { group: r.group, version: r.version, kind: r.kind },
                scope: r.namespaced ? 'Namespaced' : 'Cluster',
                singularResource: r.singular,
                verbs: verbsOf(r),
              };
              if (r.shortNames.length) doc.shortNames = r.shortNames;
              if (r.categories.length) doc.categories = r.categories;
              const subs = subresourcesOf(r);
              if (subs.length) {
                doc.subresources = subs.map((s) => ({
                  subresource: s.name,
                  responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
                  verbs: s.verbs,
                }));
              }
              return doc;
            }),
        })),
      })),
    };
  }
}
