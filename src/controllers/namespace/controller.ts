// Namespace lifecycle: a namespace marked for deletion is emptied (every namespaced object in it
// deleted through the normal pipeline, so pods get their grace period and finalizers hold what
// they hold), then its "kubernetes" finalizer is removed through /finalize, which lets the API
// server delete it. Until then it reports phase Terminating and refuses new content.
//
// It is driven by the API server's watch cache in this process; keys are namespace names, a
// namespace still holding content is retried after `retryMs`. Reconcile is idempotent.

import { builtinResources } from '../../api/resources.js';
import { StatusError } from '../../api/errors.js';
import type { ApiServer } from '../../apiserver/server.js';
import type { KObject } from '../../apiserver/object.js';

type Rec = Record<string, unknown>;

export class NamespaceController {
  private readonly pending = new Set<string>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private running = false;
  private stopped = false;

  constructor(
    private readonly api: ApiServer,
    private readonly retryMs = 1000,
  ) {}

  start(signal: AbortSignal): void {
    const rc = this.api.cache.cacheFor(this.api.resource('', 'namespaces'));
    const watcher = {
      deliver: (events: { entry: { name: string; json: string } }[]) => {
        for (const ev of events) if (ev.entry.json.includes('"deletionTimestamp"')) this.enqueue(ev.entry.name);
      },
    };
    rc.watchers.add(watcher);
    for (const e of rc.entries.values()) if (e.json.includes('"deletionTimestamp"')) this.enqueue(e.name);
    signal.addEventListener('abort', () => {
      this.stopped = true;
      rc.watchers.delete(watcher);
      for (const t of this.retries.values()) clearTimeout(t);
    });
  }

  private enqueue(name: string): void {
    if (this.stopped) return;
    this.pending.add(name);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.pending.size > 0 && !this.stopped) {
        const name = this.pending.values().next().value as string;
        this.pending.delete(name);
        try {
          if (!(await this.reconcile(name))) this.retryLater(name);
        } catch {
          this.retryLater(name);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private retryLater(name: string): void {
    if (this.stopped || this.retries.has(name)) return;
    this.retries.set(
      name,
      setTimeout(() => {
        this.retries.delete(name);
        this.enqueue(name);
      }, this.retryMs).unref(),
    );
  }

  /** Returns true when the namespace needs nothing more from us. */
  async reconcile(name: string): Promise<boolean> {
    const nsInfo = this.api.resource('', 'namespaces');
    const entry = this.api.cache.cacheFor(nsInfo).entries.get(`/registry/core/namespaces/${name}`);
    if (!entry) return true;
    const ns = JSON.parse(entry.json) as KObject;
    if (!ns.metadata.deletionTimestamp) return true;
    const ctx = { dryRun: false };
    let remaining = 0;
    for (const r of builtinResources) {
      if (!r.namespaced || (r.group === '' && r.kind === 'Binding')) continue;
      const rs = this.api.storeFor(r.group, r.plural)!;
      for (const e of [...this.api.cache.cacheFor(r).entries.values()]) {
        if (e.namespace !== name) continue;
        remaining++;
        if ((JSON.parse(e.json) as KObject).metadata.deletionTimestamp) continue;
        try {
          await rs.delete(name, e.name, { propagationPolicy: 'Background' }, ctx);
        } catch (err) {
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
    }
    if (remaining > 0) return false;
    const finalizers = ((ns.spec as Rec | undefined)?.finalizers as string[] | undefined) ?? [];
    if (!finalizers.includes('kubernetes')) return true;
    await this.api.storeFor('', 'namespaces')!.update(
      undefined,
      name,
      (cur) => {
        if (!cur) throw new StatusError(404, 'NotFound', `namespaces "${name}" not found`);
        const spec = (cur.spec ?? {}) as Rec;
        cur.spec = { ...spec, finalizers: ((spec.finalizers as string[] | undefined) ?? []).filter((f) => f !== 'kubernetes') };
        return cur;
      },
      ctx,
      'finalize',
    );
    return true;
  }
}
