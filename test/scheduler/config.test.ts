import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, defaultConfig, parseConfig } from '../../src/scheduler/config.js';
import { Framework } from '../../src/scheduler/framework/runtime.js';
import { inTreeRegistry } from '../../src/scheduler/plugins/registry.js';
import { validateConfig } from '../../src/scheduler/scheduler.js';

const head = 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n';
const names = (l: { plugin: { name: string } }[] | { name: string }[]) => l.map((x) => ('plugin' in x ? x.plugin.name : x.name));

describe('KubeSchedulerConfiguration', () => {
  it('defaults to the default-scheduler profile with upstream plugins and weights', () => {
    const cfg = defaultConfig();
    assert.equal(cfg.profiles.length, 1);
    assert.equal(cfg.profiles[0]!.schedulerName, 'default-scheduler');
    assert.equal(cfg.percentageOfNodesToScore, 0);
    assert.equal(cfg.podInitialBackoffSeconds, 1);
    assert.equal(cfg.podMaxBackoffSeconds, 10);
    const fwk = new Framework(cfg.profiles[0]!, inTreeRegistry);
    const weights = Object.fromEntries(fwk.scorePlugins.map((s) => [s.plugin.name, s.weight]));
    assert.equal(weights.TaintToleration, 3);
    assert.equal(weights.NodeAffinity, 2);
    assert.equal(weights.NodeResourcesFit, 1);
    assert.equal(weights.NodeResourcesBalancedAllocation, 1);
    assert.equal(weights.ImageLocality, 1);
    assert.deepEqual(names(fwk.filterPlugins).slice(0, 6), ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit']);
    assert.equal(fwk.queueSort.name, 'PrioritySort');
    assert.deepEqual(names(fwk.bindPlugins), ['DefaultBinder']);
    assert.deepEqual(names(fwk.preEnqueuePlugins), ['SchedulingGates']);
  });

  it('parses profiles, plugin sets and args', () => {
    const cfg = parseConfig(`${head}percentageOfNodesToScore: 30
podInitialBackoffSeconds: 2
podMaxBackoffSeconds: 20
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packer
  plugins:
    score:
      enabled:
      - name: NodeResourcesFit
        weight: 5
      disabled:
      - name: ImageLocality
  pluginConfig:
  - name: NodeResourcesFit
    args:
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: NodeResourcesFitArgs
      scoringStrategy:
        type: MostAllocated
`);
    assert.equal(cfg.percentageOfNodesToScore, 30);
    assert.equal(cfg.podInitialBackoffSeconds, 2);
    assert.equal(cfg.podMaxBackoffSeconds, 20);
    assert.deepEqual(cfg.profiles.map((p) => p.schedulerName), ['default-scheduler', 'bin-packer']);
    const fwk = new Framework(cfg.profiles[1]!, inTreeRegistry);
    const weights = Object.fromEntries(fwk.scorePlugins.map((s) => [s.plugin.name, s.weight]));
    assert.equal(weights.NodeResourcesFit, 5, 'the score point entry overrides the multiPoint weight');
    assert.equal(weights.ImageLocality, undefined, 'disabled at score');
    assert.equal(names(fwk.scorePlugins)[0], 'NodeResourcesFit', 'plugins enabled at the point come first');
    assert.deepEqual(cfg.profiles[1]!.pluginConfig.get('NodeResourcesFit'), { scoringStrategy: { type: 'MostAllocated' } });
    validateConfig(cfg);
  });

  it('"*" disables every default plugin of a point; multiPoint can be replaced', () => {
    const cfg = parseConfig(`${head}profiles:
- plugins:
    multiPoint:
      disabled:
      - name: "*"
      enabled:
      - name: PrioritySort
      - name: NodeResourcesFit
        weight: 2
      - name: DefaultBinder
    filter:
      disabled:
      - name: "*"
`);
    const fwk = new Framework(cfg.profiles[0]!, inTreeRegistry);
    assert.deepEqual(names(fwk.filterPlugins), []);
    assert.deepEqual(names(fwk.preFilterPlugins), ['NodeResourcesFit']);
    assert.deepEqual(fwk.scorePlugins.map((s) => [s.plugin.name, s.weight]), [['NodeResourcesFit', 2]]);
  });

  const bad: [string, string, RegExp][] = [
    ['wrong apiVersion', 'apiVersion: kubescheduler.config.k8s.io/v1beta3\nkind: KubeSchedulerConfiguration\n', /^apiVersion: Unsupported value: "kubescheduler.config.k8s.io\/v1beta3"/],
    ['unknown field', `${head}foo: 1\n`, /unknown field "foo"/],
    ['percentage out of range', `${head}percentageOfNodesToScore: 101\n`, /^percentageOfNodesToScore: Invalid value: 101: not in valid range \[0-100\]/],
    ['backoff order', `${head}podInitialBackoffSeconds: 5\npodMaxBackoffSeconds: 2\n`, /^podMaxBackoffSeconds: Invalid value: 2: must be greater than or equal to PodInitialBackoffSeconds/],
    ['missing scheduler name with two profiles', `${head}profiles:\n- schedulerName: a\n- {}\n`, /^profiles\[1\]\.schedulerName: Required value/],
    ['duplicate scheduler name', `${head}profiles:\n- schedulerName: a\n- schedulerName: a\n`, /^profiles\[1\]\.schedulerName: Duplicate value: "a"/],
    ['unknown plugin', `${head}profiles:\n- plugins:\n    score:\n      enabled:\n      - name: Nope\n`, /^profiles\[0\]\.plugins\.score\.enabled\[0\]\.name: Invalid value: "Nope": plugin "Nope" does not exist/],
    ['unknown extension point', `${head}profiles:\n- plugins:\n    scoring: {}\n`, /^profiles\[0\]\.plugins: unknown field "scoring"/],
    ['duplicate pluginConfig', `${head}profiles:\n- pluginConfig:\n  - name: NodeAffinity\n  - name: NodeAffinity\n`, /^profiles\[0\]\.pluginConfig\[1\]\.name: Duplicate value/],
    ['bad weight', `${head}profiles:\n- plugins:\n    score:\n      enabled:\n      - name: ImageLocality\n        weight: -1\n`, /^profiles\[0\]\.plugins\.score\.enabled\[0\]\.weight: Invalid value: -1/],
    ['not YAML', `${head}profiles: [\n`, /not valid YAML/],
  ];
  for (const [name, text, re] of bad) {
    it(`rejects ${name}`, () => assert.throws(() => parseConfig(text), (e: unknown) => e instanceof ConfigError && re.test(e.message)));
  }

  it('rejects bad plugin args and placements when the framework is built', () => {
    const args = parseConfig(`${head}profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n      scoringStrategy:\n        type: Packed\n`);
    assert.throws(() => validateConfig(args), /profiles\[0\]\.pluginConfig\[0\]\.args: scoringStrategy\.type: Unsupported value: "Packed"/);
    const placement = parseConfig(`${head}profiles:\n- plugins:\n    filter:\n      enabled:\n      - name: ImageLocality\n`);
    assert.throws(() => validateConfig(placement), /profiles\[0\]\.plugins\.filter\.enabled: plugin "ImageLocality" does not extend filter plugin/);
    const noSort = parseConfig(`${head}profiles:\n- plugins:\n    queueSort:\n      disabled:\n      - name: "*"\n`);
    assert.throws(() => validateConfig(noSort), /profiles\[0\]\.plugins\.queueSort: .*exactly one queue sort plugin/);
  });
});
