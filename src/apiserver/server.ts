// The API server: authentication, routing of every request to discovery, OpenAPI, health or a
// resource handler, and the error → Status wrapper that every handler runs inside.
//
// Start-up order: the watch cache is filled from the store, then the built-in namespaces and the
// `kubernetes` service are ensured, then requests are accepted (readyz turns ok).

import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import { setMaxListeners } from 'node:events';
import type { AddressInfo } from 'node:net';
import { builtinResources, groupVersion, type ResourceInfo } from '../api/resources.js';
import { errors, StatusError } from '../api/errors.js';
import { fieldsOf } from '../api/selectors/fields.js';
import { openapiV2Document, openapiV2ProtobufType, openapiV3Discovery, openapiV3Document } from '../api/openapi/index.js';
import type { Store } from '../storage/store.js';
import { anonymousPaths, type Authenticator, type UserInfo } from './authn.js';
import { Discovery, servedGroups, serverVersion } from './discovery.js';
import { negotiate, sendError, sendJson, sendText } from './http.js';
import { hooksFor } from './kinds.js';
import { ResourceStore, type NamespaceChecker, type OpContext } from './registry.js';
import { parseRequest, type ResourceRequest } from './request-info.js';
import { ServiceAllocator } from './service-alloc.js';
import { objectKey, WatchCache } from './watch-cache.js';
import { priorityClassInfo, systemPriorityClasses, type PriorityClassSource } from './admission-priority.js';
import type { KObject } from './object.js';
import type { Scope, ServerContext } from './rest/scope.js';
import { get } from './rest/get.js';
import { list } from './rest/list.js';
import { watch } from './rest/watch.js';
import { create } from './rest/create.js';
import { update } from './rest/update.js';
import { patch } from './rest/patch.js';
import { remove, removeCollection } from './rest/delete.js';

export interface ApiServerConfig {
  store: Store;
  authenticator: Authenticator;
  serviceCidr?: string;
  nodePortRange?: [number, number];
  /** Port clients reach the API server on (the `kubernetes` service's targetPort). */
  advertisePort?: number;
  bookmarkIntervalMs?: number;
  log?: (msg: string) => void;
}

const systemNamespaces = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export class ApiServer implements ServerContext {
  readonly store: Store;
  readonly cache: WatchCache;
  readonly discovery = new Discovery(builtinResources);
  readonly services: ServiceAllocator;
  readonly bookmarkIntervalMs: number;
  private readonly stores = new Map<string, ResourceStore>();
  private readonly abort = new AbortController();
  readonly shutdown = this.abort.signal;
  private ready = false;
  private readonly log: (msg: string) => void;

  constructor(private readonly cfg: ApiServerConfig) {
    // Every open watch listens for shutdown (and stops listening when it ends): the count
    // follows the number of watchers, thousands by design.
    setMaxListeners(0, this.shutdown);
    this.store = cfg.store;
    this.bookmarkIntervalMs = cfg.bookmarkIntervalMs ?? 60_000;
    this.log = cfg.log ?? ((m) => process.stderr.write(m + '\n'));
    this.cache = new WatchCache(cfg.store, builtinResources, fieldsOf);
    this.services = new ServiceAllocator({
      serviceCidr: cfg.serviceCidr ?? '10.43.0.0/16',
      nodePortRange: cfg.nodePortRange ?? [30000, 32767],
      listServices: () => this.cachedObjects(this.resource('', 'services')),
    });
    const namespaces: NamespaceChecker = { checkCreateAllowed: (ns) => this.checkNamespace(ns) };
    const priorityClasses = this.priorityClassSource();
    for (const r of builtinResources) {
      this.stores.set(`${r.group}/${r.plural}`, new ResourceStore(r, cfg.store, hooksFor(r, { services: this.services, priorityClasses }), namespaces));
    }
  }

  resource(group: string, plural: string): ResourceInfo {
    const r = builtinResources.find((x) => x.group === group && x.plural === plural);
    if (!r) throw new Error(`unknown resource ${plural}.${group}`);
    return r;
  }

  storeFor(group: string, plural: string): ResourceStore | undefined {
    return this.stores.get(`${group}/${plural}`);
  }

  /**
   * PriorityClasses for Priority admission, from the watch cache as upstream's admission reads its
   * informer; a name the cache does not know yet is looked up in the store, so a class created
   * just before a pod is found.
   */
  private priorityClassSource(): PriorityClassSource {
    const r = this.resource('scheduling.k8s.io', 'priorityclasses');
    const rs = () => this.storeFor(r.group, r.plural)!;
    return {
      get: async (name) => {
        const cached = this.cache.cacheFor(r).entries.get(objectKey(r, undefined, name));
        if (cached) return priorityClassInfo(JSON.parse(cached.json) as KObject);
        const kv = await this.store.get(objectKey(r, undefined, name));
        return kv ? priorityClassInfo(rs().decode(kv)) : undefined;
      },
      list: async () => [...this.cachedObjects(r)].map(priorityClassInfo),
    };
  }

  private *cachedObjects(r: ResourceInfo): Iterable<KObject> {
    for (const e of this.cache.cacheFor(r).entries.values()) yield JSON.parse(e.json) as KObject;
  }

  async start(): Promise<void> {
    await this.cache.start();
    await this.bootstrap();
    this.ready = true;
  }

  stop(): void {
    this.ready = false;
    this.abort.abort();
    this.cache.stop();
  }

  /** The namespaces, system PriorityClasses and the `kubernetes` service every cluster has. */
  private async bootstrap(): Promise<void> {
    const ctx: OpContext = { dryRun: false };
    const nsStore = this.storeFor('', 'namespaces')!;
    for (const name of systemNamespaces) {
      if (await this.store.get(nsStore.key(undefined, name))) continue;
      await this.ignoreExists(nsStore.create(undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, ctx));
    }
    const pcStore = this.storeFor('scheduling.k8s.io', 'priorityclasses')!;
    for (const pc of systemPriorityClasses) {
      if (await this.store.get(pcStore.key(undefined, pc.metadata.name!))) continue;
      await this.ignoreExists(pcStore.create(undefined, structuredClone(pc), ctx));
    }
    const svcStore = this.storeFor('', 'services')!;
    if (!(await this.store.get(svcStore.key('default', 'kubernetes')))) {
      const port = this.cfg.advertisePort || 6443;
      await this.ignoreExists(
        svcStore.create(
          'default',
          {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
            spec: { clusterIP: this.services.firstIp(), ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], type: 'ClusterIP', sessionAffinity: 'None' },
          },
          ctx,
        ),
      );
    }
  }

  /**
   * Points the `kubernetes` service's Endpoints at where the API server listens. Upstream
   * forbids loopback endpoint addresses, so a server bound to loopback only has none.
   */
  async reconcileKubernetesEndpoints(address: string, port: number): Promise<void> {
    if (address.startsWith('127.') || address === '::1' || port === 0) return;
    const epStore = this.storeFor('', 'endpoints')!;
    await epStore.update(
      'default',
      'kubernetes',
      (cur) => ({
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { ...(cur?.metadata ?? {}), name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
        subsets: [{ addresses: [{ ip: address }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
      }),
      { dryRun: false },
    );
  }

  private async ignoreExists(p: Promise<unknown>): Promise<void> {
    try {
      await p;
    } catch (err) {
      if (!(err instanceof StatusError && err.reason === 'AlreadyExists')) throw err;
    }
  }

  private async checkNamespace(ns: string): Promise<void> {
    const r = this.resource('', 'namespaces');
    const key = objectKey(r, undefined, ns);
    const e = this.cache.cacheFor(r).entries.get(key);
    let obj: KObject | undefined = e ? (JSON.parse(e.json) as KObject) : undefined;
    if (!obj) {
      const kv = await this.store.get(key);
      if (kv) obj = JSON.parse(kv.value) as KObject;
    }
    if (!obj) throw errors.notFound('namespaces', '', ns);
    if (obj.metadata.deletionTimestamp || (obj.status as { phase?: string } | undefined)?.phase === 'Terminating') {
      throw errors.forbidden(`unable to create new content in namespace ${ns} because it is being terminated`);
    }
  }

  /** The request handler for node's http(s) server. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => this.handleAs(req, res, undefined);

  /**
   * Serves a request whose user is already known (the in-process transport of components in
   * this process), or authenticates it when `user` is undefined. Everything after
   * authentication is the same path every HTTPS request takes.
   */
  handleAs(req: IncomingMessage, res: ServerResponse, user: UserInfo | undefined): void {
    this.dispatch(req, res, user).catch((err: unknown) => {
      if (err instanceof StatusError) {
        sendError(res, err);
        return;
      }
      this.log(`internal error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
      sendError(res, errors.internal((err as Error)?.message ?? String(err)));
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, known: UserInfo | undefined): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://skiff.invalid');
    const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    const query = url.searchParams;
    let user: UserInfo | undefined = known ?? this.cfg.authenticator.authenticate(req);
    if (!user) {
      if (!anonymousPaths.has(path)) throw errors.unauthorized();
      user = { name: 'system:anonymous', groups: ['system:unauthenticated'] };
    }
    switch (path) {
      case '/healthz':
      case '/readyz':
        if (!this.ready || this.cache.failed) return sendText(res, 500, `[-]informer-sync failed: ${this.cache.failed?.message ?? 'starting'}\n${path.slice(1)} check failed`);
        return sendText(res, 200, 'ok');
      case '/livez':
        return sendText(res, 200, 'ok');
      case '/version':
        return sendJson(res, 200, serverVersion);
    }
    if (path === '/openapi/v2') {
      const doc = openapiV2Document();
      if ((req.headers.accept ?? '').includes('protobuf')) {
        res.writeHead(200, { 'Content-Type': openapiV2ProtobufType, 'Content-Length': doc.protobuf.length, ETag: `"${doc.etag}"` });
        res.end(doc.protobuf);
        return;
      }
      return sendJson(res, 200, doc.json, { ETag: `"${doc.etag}"` });
    }
    if (path === '/openapi/v3') {
      return sendJson(res, 200, openapiV3Discovery(servedGroups().flatMap((g) => g.versions.map((v) => groupVersion({ group: g.group, version: v })))));
    }
    if (path.startsWith('/openapi/v3/')) {
      const rel = path.slice('/openapi/v3/'.length);
      const gv = rel.startsWith('api/') ? rel.slice(4) : rel.startsWith('apis/') ? rel.slice(5) : '';
      const resources = builtinResources.filter((r) => groupVersion(r) === gv);
      if (!resources.length) throw errors.notFoundPath();
      const doc = openapiV3Document(gv, resources);
      return sendJson(res, 200, doc.body, { ETag: `"${doc.hash}"`, 'Cache-Control': query.has('hash') ? 'public, immutable' : 'no-cache, private' });
    }
    const info = parseRequest(req.method ?? 'GET', path, query);
    if (info.kind === 'other') {
      if (info.discovery && (req.method === 'GET' || req.method === 'HEAD')) return this.serveDiscovery(req, res, info.discovery);
      throw errors.notFoundPath();
    }
    return this.serveResource(req, res, info, query, user);
  }

  private serveDiscovery(req: IncomingMessage, res: ServerResponse, d: { group?: string; version?: string; legacy: boolean }): void {
    const repr = negotiate(req.headers.accept);
    if (d.version === undefined && d.group === undefined) {
      if (repr.as === 'APIGroupDiscoveryList') {
        const body = d.legacy ? this.discovery.aggregatedApi[repr.version] : this.discovery.aggregatedApis[repr.version];
        return sendJson(res, 200, body, { 'Content-Type': `application/json;g=apidiscovery.k8s.io;v=${repr.version};as=APIGroupDiscoveryList` });
      }
      return sendJson(res, 200, d.legacy ? this.discovery.apiVersions : this.discovery.groupList);
    }
    if (d.version === undefined) {
      const doc = this.discovery.groupDoc(d.group!);
      if (!doc) throw errors.notFoundPath();
      return sendJson(res, 200, doc);
    }
    const doc = this.discovery.resourceListDoc(d.legacy ? d.version : `${d.group}/${d.version}`);
    if (!doc) throw errors.notFoundPath();
    return sendJson(res, 200, doc);
  }

  private async serveResource(req: IncomingMessage, res: ServerResponse, rr: ResourceRequest, query: URLSearchParams, user: UserInfo): Promise<void> {
    const info = builtinResources.find((r) => r.group === rr.group && r.version === rr.version && r.plural === rr.resource);
    if (!info) throw errors.notFoundPath();
    if (rr.subresource !== undefined && !info.subresources.includes(rr.subresource as never) && !(info.kind === 'Namespace' && rr.subresource === 'finalize')) {
      throw errors.notFoundPath();
    }
    const s: Scope = {
      req,
      res,
      rr,
      info,
      rs: this.storeFor(info.group, info.plural)!,
      rc: this.cache.cacheFor(info),
      query,
      repr: negotiate(req.headers.accept),
      user,
      server: this,
      warnings: [],
    };
    if (info.kind === 'Binding' && info.group === '' && rr.verb !== 'create') throw errors.methodNotAllowed(req.method ?? '', info.plural);
    switch (rr.verb) {
      case 'get':
        return get(s);
      case 'list':
        return list(s);
      case 'watch':
        return watch(s);
      case 'create':
        return create(s);
      case 'update':
        return update(s);
      case 'patch':
        return patch(s);
      case 'delete':
        return remove(s);
      case 'deletecollection':
        return removeCollection(s);
    }
  }
}

export interface ListenOptions {
  host: string;
  port: number;
  cert: string;
  key: string;
  ca: string;
}

/** Serves the API server over HTTPS with client-certificate authentication available. */
export function listenHttps(api: ApiServer, opts: ListenOptions): Promise<https.Server> {
  const server = https.createServer(
    { cert: opts.cert, key: opts.key, ca: opts.ca, requestCert: true, rejectUnauthorized: false, keepAliveTimeout: 60_000 },
    api.handle,
  );
  server.headersTimeout = 60_000;
  server.requestTimeout = 0; // watches are long-lived
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the port is in use (is another skiff server or kube-apiserver running?)' : err.code === 'EADDRNOTAVAIL' ? 'no interface of this machine has that address' : err.message;
      reject(new Error(`cannot listen on ${opts.host}:${opts.port}: ${why}`));
    };
    server.once('error', failed);
    server.listen(opts.port, opts.host, () => {
      server.off('error', failed);
      resolve(server);
    });
  });
}

export function boundPort(server: https.Server): number {
  return (server.address() as AddressInfo).port;
}
