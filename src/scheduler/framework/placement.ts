// Placing a profile's plugins on the extension points (upstream expandMultiPointPlugins).
//
// Each enabled plugin is built once from the registry with its pluginConfig args. A plugin
// enabled through `multiPoint` joins every extension point it implements, unless disabled there
// (or `"*"` disabled there). At each point the order is: plugins enabled at that point that are
// also in multiPoint, then the remaining multiPoint plugins, then the other plugins enabled at
// that point. A score weight set at the score point wins over the multiPoint one; unset or 0
// means 1. A plugin enabled explicitly at a point it does not implement is a ConfigError.

import { ConfigError, extensionPoints, type ExtensionPoint, type Profile } from '../config.js';
import type { Registry } from '../plugins/registry.js';
import type {
  BindPlugin,
  ClusterEvent,
  EnqueueExtensions,
  FilterPlugin,
  Handle,
  PermitPlugin,
  Plugin,
  PostBindPlugin,
  PostFilterPlugin,
  PreBindPlugin,
  PreEnqueuePlugin,
  PreFilterPlugin,
  PreScorePlugin,
  QueueSortPlugin,
  ReservePlugin,
  ScorePlugin,
} from './types.js';

export interface Placed {
  plugin: Plugin;
  weight: number;
}

export interface Placement {
  /** Name → instance, in order of first use. */
  plugins: Map<string, Plugin>;
  placed: Record<ExtensionPoint, Placed[]>;
  /** Events each plugin registered; 'all' for plugins without EnqueueExtensions. */
  pluginEvents: Map<string, ReadonlySet<ClusterEvent> | 'all'>;
}

export const implementsPoint: Record<ExtensionPoint, (p: Plugin) => boolean> = {
  preEnqueue: (p) => typeof (p as Partial<PreEnqueuePlugin>).preEnqueue === 'function',
  queueSort: (p) => typeof (p as Partial<QueueSortPlugin>).less === 'function',
  preFilter: (p) => typeof (p as Partial<PreFilterPlugin>).preFilter === 'function',
  filter: (p) => typeof (p as Partial<FilterPlugin>).filter === 'function',
  postFilter: (p) => typeof (p as Partial<PostFilterPlugin>).postFilter === 'function',
  preScore: (p) => typeof (p as Partial<PreScorePlugin>).preScore === 'function',
  score: (p) => typeof (p as Partial<ScorePlugin>).score === 'function',
  reserve: (p) => typeof (p as Partial<ReservePlugin>).reserve === 'function',
  permit: (p) => typeof (p as Partial<PermitPlugin>).permit === 'function',
  preBind: (p) => typeof (p as Partial<PreBindPlugin>).preBind === 'function',
  bind: (p) => typeof (p as Partial<BindPlugin>).bind === 'function',
  postBind: (p) => typeof (p as Partial<PostBindPlugin>).postBind === 'function',
};

export function placePlugins(profile: Profile, registry: Registry, handle: Handle): Placement {
  const path = `profiles[${profile.index}]`;
  const plugins = new Map<string, Plugin>();
  const pluginEvents = new Map<string, ReadonlySet<ClusterEvent> | 'all'>();
  const instance = (name: string): Plugin => {
    let p = plugins.get(name);
    if (p) return p;
    const factory = registry.get(name);
    if (!factory) throw new ConfigError(`${path}.plugins: plugin "${name}" does not exist`);
    try {
      p = factory(profile.pluginConfig.get(name), handle);
    } catch (err) {
      const at = [...profile.pluginConfig.keys()].indexOf(name);
      const where = at >= 0 ? `${path}.pluginConfig[${at}].args` : `${path}.plugins (${name})`;
      throw new ConfigError(`${where}: ${(err as Error).message}`);
    }
    plugins.set(name, p);
    const ext = p as Partial<EnqueueExtensions>;
    pluginEvents.set(name, typeof ext.eventsToRegister === 'function' ? new Set(ext.eventsToRegister()) : 'all');
    return p;
  };
  const multi = profile.plugins.multiPoint.enabled;
  for (const ref of multi) instance(ref.name);
  const placed = {} as Record<ExtensionPoint, Placed[]>;
  for (const e of extensionPoints) {
    const own = profile.plugins[e];
    const disabled = new Set(own.disabled);
    const explicit = new Set(own.enabled.map((r) => r.name));
    for (const r of own.enabled) {
      if (!implementsPoint[e](instance(r.name))) throw new ConfigError(`${path}.plugins.${e}.enabled: plugin "${r.name}" does not extend ${e} plugin`);
    }
    const overrides = new Set<string>();
    const fromMulti: Placed[] = [];
    if (!disabled.has('*')) {
      for (const ref of multi) {
        const p = instance(ref.name);
        if (!implementsPoint[e](p) || disabled.has(ref.name)) continue;
        if (explicit.has(ref.name)) overrides.add(ref.name);
        else fromMulti.push({ plugin: p, weight: ref.weight || 1 });
      }
    }
    const asPlaced = (r: { name: string; weight?: number }): Placed => ({ plugin: instance(r.name), weight: r.weight || 1 });
    placed[e] = [...own.enabled.filter((r) => overrides.has(r.name)).map(asPlaced), ...fromMulti, ...own.enabled.filter((r) => !overrides.has(r.name)).map(asPlaced)];
  }
  return { plugins, placed, pluginEvents };
}
