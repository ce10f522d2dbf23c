// KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1): parsing, upstream's defaults and
// validation. Errors name the bad field as upstream's field errors do
// (`profiles[1].schedulerName: Required value`).
//
// Defaults: one profile `default-scheduler` with upstream's default plugins, all enabled through
// `multiPoint` with their score weights; a profile's `plugins.<point>` is merged into the
// defaults as upstream's mergePlugins does (`disabled` removes default plugins, `"*"` all of
// them; an `enabled` entry naming a default plugin replaces it in place, e.g. to change its
// weight; other entries are appended). Which extension points a multiPoint plugin fills is
// decided when the framework is built (framework/runtime.ts), from what the plugin implements.

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { inTreeRegistry, type Registry } from './plugins/registry.js';

export const extensionPoints = ['preEnqueue', 'queueSort', 'preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'permit', 'preBind', 'bind', 'postBind'] as const;
export type ExtensionPoint = (typeof extensionPoints)[number];
export type PluginsField = ExtensionPoint | 'multiPoint';

export interface PluginRef {
  name: string;
  /** Score weight; 0 / unset means 1. */
  weight?: number;
}

export interface PluginSet {
  enabled: PluginRef[];
  disabled: string[];
}

export interface Profile {
  schedulerName: string;
  /** Merged with the defaults; multiPoint not yet expanded. */
  plugins: Record<PluginsField, PluginSet>;
  /** Plugin name → args. */
  pluginConfig: Map<string, Record<string, unknown>>;
  percentageOfNodesToScore?: number;
  /** Index in `profiles` (for error messages). */
  index: number;
}

export interface SchedulerConfig {
  profiles: Profile[];
  /** 0 = upstream's adaptive default. */
  percentageOfNodesToScore: number;
  podInitialBackoffSeconds: number;
  podMaxBackoffSeconds: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const apiVersion = 'kubescheduler.config.k8s.io/v1';
export const defaultSchedulerName = 'default-scheduler';

/** Upstream's default plugin set (v1 getDefaultPlugins), in order, with score weights. */
export const defaultPlugins: readonly PluginRef[] = [
  { name: 'SchedulingGates' },
  { name: 'PrioritySort' },
  { name: 'NodeUnschedulable' },
  { name: 'NodeName' },
  { name: 'TaintToleration', weight: 3 },
  { name: 'NodeAffinity', weight: 2 },
  { name: 'NodePorts' },
  { name: 'NodeResourcesFit', weight: 1 },
  { name: 'VolumeRestrictions' },
  { name: 'NodeVolumeLimits' },
  { name: 'VolumeBinding' },
  { name: 'VolumeZone' },
  { name: 'PodTopologySpread', weight: 2 },
  { name: 'InterPodAffinity', weight: 2 },
  { name: 'DefaultPreemption' },
  { name: 'NodeResourcesBalancedAllocation', weight: 1 },
  { name: 'ImageLocality', weight: 1 },
  { name: 'DefaultBinder' },
];

const topLevelFields = new Set([
  'apiVersion', 'kind', 'profiles', 'percentageOfNodesToScore', 'podInitialBackoffSeconds', 'podMaxBackoffSeconds',
  'parallelism', 'leaderElection', 'clientConnection', 'healthzBindAddress', 'metricsBindAddress', 'enableProfiling',
  'enableContentionProfiling', 'extenders', 'delayCacheUntilActive',
]);
const profileFields = new Set(['schedulerName', 'plugins', 'pluginConfig', 'percentageOfNodesToScore']);

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(msg: string): never {
  throw new ConfigError(msg);
}

function emptyPlugins(): Record<PluginsField, PluginSet> {
  const p = {} as Record<PluginsField, PluginSet>;
  for (const e of [...extensionPoints, 'multiPoint'] as PluginsField[]) p[e] = { enabled: [], disabled: [] };
  return p;
}

/** The defaults as the registry can provide them (plugins not built into skiff are left out). */
function defaultPluginSets(registry: Registry): Record<PluginsField, PluginSet> {
  const p = emptyPlugins();
  p.multiPoint.enabled = defaultPlugins.filter((d) => registry.has(d.name)).map((d) => ({ ...d }));
  return p;
}

/** Upstream mergePluginSet. */
function mergePluginSet(defaults: PluginSet, custom: PluginSet): PluginSet {
  const disabled = [...custom.disabled, ...defaults.disabled];
  const off = new Set(disabled);
  const customByName = new Map(custom.enabled.map((p, i) => [p.name, i]));
  const replaced = new Set<number>();
  const enabled: PluginRef[] = [];
  if (!off.has('*')) {
    for (const d of defaults.enabled) {
      if (off.has(d.name)) continue;
      const i = customByName.get(d.name);
      if (i !== undefined) {
        replaced.add(i);
        enabled.push(custom.enabled[i] as PluginRef);
      } else enabled.push(d);
    }
  }
  custom.enabled.forEach((p, i) => {
    if (!replaced.has(i)) enabled.push(p);
  });
  return { enabled, disabled };
}

function intField(v: unknown, path: string, min: number, max: number, detail: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${path}: Invalid value: ${JSON.stringify(v)}: ${detail}`);
  return v;
}

function parsePluginSet(v: unknown, path: string, registry: Registry): PluginSet {
  if (!isObj(v)) fail(`${path}: Invalid value: ${JSON.stringify(v)}: must be an object with enabled and disabled lists`);
  for (const k of Object.keys(v)) if (k !== 'enabled' && k !== 'disabled') fail(`${path}: unknown field "${k}"`);
  const set: PluginSet = { enabled: [], disabled: [] };
  const seen = new Set<string>();
  for (const [field, list] of [['enabled', v.enabled], ['disabled', v.disabled]] as const) {
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) fail(`${path}.${field}: Invalid value: ${JSON.stringify(list)}: must be a list`);
    list.forEach((p: unknown, i) => {
      const at = `${path}.${field}[${i}]`;
      if (!isObj(p) || typeof p.name !== 'string' || p.name === '') fail(`${at}.name: Required value`);
      for (const k of Object.keys(p)) if (k !== 'name' && k !== 'weight') fail(`${at}: unknown field "${k}"`);
      if (field === 'disabled') {
        set.disabled.push(p.name);
        return;
      }
      if (!registry.has(p.name)) fail(`${at}.name: Invalid value: "${p.name}": plugin "${p.name}" does not exist`);
      if (seen.has(p.name)) fail(`${at}.name: Duplicate value: "${p.name}"`);
      seen.add(p.name);
      const ref: PluginRef = { name: p.name };
      if (p.weight !== undefined && p.weight !== null) ref.weight = intField(p.weight, `${at}.weight`, 0, 100, 'must be in the range [0, 100] (0 means 1)');
      set.enabled.push(ref);
    });
  }
  return set;
}

function parseProfile(v: unknown, index: number, count: number, registry: Registry): Profile {
  const path = `profiles[${index}]`;
  if (!isObj(v)) fail(`${path}: Invalid value: ${JSON.stringify(v)}: must be an object`);
  for (const k of Object.keys(v)) if (!profileFields.has(k)) fail(`${path}: unknown field "${k}"`);
  let schedulerName = v.schedulerName;
  if (schedulerName === undefined && count === 1) schedulerName = defaultSchedulerName;
  if (typeof schedulerName !== 'string' || schedulerName === '') fail(`${path}.schedulerName: Required value`);
  const plugins = defaultPluginSets(registry);
  if (v.plugins !== undefined && v.plugins !== null) {
    if (!isObj(v.plugins)) fail(`${path}.plugins: Invalid value: ${JSON.stringify(v.plugins)}: must be an object`);
    for (const [k, set] of Object.entries(v.plugins)) {
      if (!(plugins as Record<string, PluginSet>)[k]) fail(`${path}.plugins: unknown field "${k}"`);
      const field = k as PluginsField;
      plugins[field] = mergePluginSet(plugins[field], parsePluginSet(set, `${path}.plugins.${k}`, registry));
    }
  }
  const pluginConfig = new Map<string, Record<string, unknown>>();
  if (v.pluginConfig !== undefined && v.pluginConfig !== null) {
    if (!Array.isArray(v.pluginConfig)) fail(`${path}.pluginConfig: Invalid value: ${JSON.stringify(v.pluginConfig)}: must be a list`);
    v.pluginConfig.forEach((c: unknown, i) => {
      const at = `${path}.pluginConfig[${i}]`;
      if (!isObj(c) || typeof c.name !== 'string' || c.name === '') fail(`${at}.name: Required value`);
      if (pluginConfig.has(c.name)) fail(`${at}.name: Duplicate value: "${c.name}"`);
      const args = c.args ?? {};
      if (!isObj(args)) fail(`${at}.args: Invalid value: ${JSON.stringify(args)}: must be an object`);
      const { kind: _k, apiVersion: _a, ...rest } = args;
      pluginConfig.set(c.name, rest);
    });
  }
  const profile: Profile = { schedulerName, plugins, pluginConfig, index };
  if (v.percentageOfNodesToScore !== undefined && v.percentageOfNodesToScore !== null) {
    profile.percentageOfNodesToScore = intField(v.percentageOfNodesToScore, `${path}.percentageOfNodesToScore`, 0, 100, 'not in valid range [0-100]');
  }
  return profile;
}

/** Upstream's defaults: the `default-scheduler` profile, adaptive percentage, backoff 1 s → 10 s. */
export function defaultConfig(registry: Registry = inTreeRegistry): SchedulerConfig {
  return parseConfigObject({ apiVersion, kind: 'KubeSchedulerConfiguration' }, registry);
}

export function parseConfigObject(doc: unknown, registry: Registry = inTreeRegistry): SchedulerConfig {
  if (!isObj(doc)) fail('the configuration must be a KubeSchedulerConfiguration object');
  for (const k of Object.keys(doc)) if (!topLevelFields.has(k)) fail(`unknown field "${k}"`);
  if (doc.apiVersion !== apiVersion) fail(`apiVersion: Unsupported value: ${JSON.stringify(doc.apiVersion ?? '')}: supported values: "${apiVersion}"`);
  if (doc.kind !== 'KubeSchedulerConfiguration') fail(`kind: Unsupported value: ${JSON.stringify(doc.kind ?? '')}: supported values: "KubeSchedulerConfiguration"`);
  if (Array.isArray(doc.extenders) && doc.extenders.length > 0) fail('extenders: Forbidden: scheduler extenders are not supported by skiff; use plugins');
  const profilesIn = doc.profiles ?? [];
  if (!Array.isArray(profilesIn)) fail(`profiles: Invalid value: ${JSON.stringify(profilesIn)}: must be a list`);
  const list = profilesIn.length === 0 ? [{}] : profilesIn;
  const profiles = list.map((p: unknown, i) => parseProfile(p, i, list.length, registry));
  const names = new Set<string>();
  profiles.forEach((p) => {
    if (names.has(p.schedulerName)) fail(`profiles[${p.index}].schedulerName: Duplicate value: "${p.schedulerName}"`);
    names.add(p.schedulerName);
  });
  const cfg: SchedulerConfig = {
    profiles,
    percentageOfNodesToScore: doc.percentageOfNodesToScore == null ? 0 : intField(doc.percentageOfNodesToScore, 'percentageOfNodesToScore', 0, 100, 'not in valid range [0-100]'),
    podInitialBackoffSeconds: doc.podInitialBackoffSeconds == null ? 1 : intField(doc.podInitialBackoffSeconds, 'podInitialBackoffSeconds', 1, Number.MAX_SAFE_INTEGER, 'must be greater than 0'),
    podMaxBackoffSeconds: 10,
  };
  if (doc.podMaxBackoffSeconds != null) {
    cfg.podMaxBackoffSeconds = intField(doc.podMaxBackoffSeconds, 'podMaxBackoffSeconds', 1, Number.MAX_SAFE_INTEGER, 'must be greater than 0');
  }
  if (cfg.podMaxBackoffSeconds < cfg.podInitialBackoffSeconds) {
    fail(`podMaxBackoffSeconds: Invalid value: ${cfg.podMaxBackoffSeconds}: must be greater than or equal to PodInitialBackoffSeconds`);
  }
  return cfg;
}

/** Parses YAML (or JSON) text. */
export function parseConfig(text: string, registry: Registry = inTreeRegistry): SchedulerConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    fail(`the configuration is not valid YAML: ${(err as Error).message}`);
  }
  return parseConfigObject(doc, registry);
}

export function loadConfigFile(path: string, registry: Registry = inTreeRegistry): SchedulerConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the scheduler configuration ${path}: ${(err as Error).message}`);
  }
  try {
    return parseConfig(text, registry);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${path}: ${err.message}`);
    throw err;
  }
}
