// Shared informers, as client-go's SharedInformerFactory: one list/watch and one cache per
// resource (and per mode: full objects or metadata only) for every component in a process, so
// ten controllers that read pods cost one pod watch, not ten.
//
// Contract:
// - `informer(resource, opts)` returns the same Informer for the same resource and mode; the
//   indexes asked for are added to it (an index name always means one function).
// - Informers asked for after `start` are started at once with the same signal.
// - `waitForSync` waits for every informer handed out so far.

import type { ResourceInfo } from '../api/resources.js';
import type { Client } from './client.js';
import type { IndexFunc } from './indexer.js';
import { Informer } from './informer.js';

export interface SharedInformerOptions {
  metadataOnly?: boolean;
  indexers?: Record<string, IndexFunc>;
}

export class SharedInformers {
  private readonly informers = new Map<string, Informer>();
  private signal: AbortSignal | undefined;

  constructor(
    readonly client: Client,
    private readonly onError?: (err: unknown) => void,
  ) {}

  informer(resource: ResourceInfo, opts: SharedInformerOptions = {}): Informer {
    const key = `${resource.group}/${resource.version}/${resource.plural}${opts.metadataOnly ? '#metadata' : ''}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer({
        client: this.client,
        resource,
        ...(opts.metadataOnly ? { metadataOnly: true } : {}),
        ...(this.onError ? { onError: this.onError } : {}),
      });
      this.informers.set(key, inf);
      if (this.signal) void inf.start(this.signal);
    }
    if (opts.indexers) inf.store.addIndexers(opts.indexers);
    return inf;
  }

  start(signal: AbortSignal): void {
    this.signal = signal;
    for (const inf of this.informers.values()) void inf.start(signal);
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }
}
