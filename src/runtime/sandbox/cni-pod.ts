// A pod sandbox's network: its namespace plus the CNI attachments in it (loopback and the pod
// network on eth0, added concurrently), persisted so that teardown works after a runtime restart.
//
// Contract:
// - setUp() writes the attachment record (phase "setting-up", with the exact configuration lists
//   it will use) BEFORE creating the namespace or running any plugin. When it finishes, the record
//   holds each network's ADD result (phase "ready").
// - If any step of setUp() fails, everything it made is undone (CNI DEL, namespace, record) and
//   the error names the failing plugin. If the undo itself fails, the record and namespace are kept
//   so tearDown()/recover() can retry: nothing leaks silently.
// - tearDown() uses the recorded configuration and ADD result — not the current configuration,
//   which may have changed (pod CIDR update) — runs DEL before removing the namespace (the bridge
//   plugin needs the namespace to find its masquerade rules), and is idempotent: an unknown
//   sandbox or a missing namespace is fine. On a DEL failure the record stays for a retry.
// - Calls for the same sandbox are serialised within this process.

import type { CniConflist, JsonObject } from '../../network/cni-config.js';
import { loopbackNetwork, parseConflist } from '../../network/cni-config.js';
import { findPlugin, DEFAULT_CNI_BIN_DIRS } from './cni-exec.js';
import { parseCniResult, podIPs, type CniResult } from './cni-result.js';
import { addNetworkList, checkNetworkList, delNetworkList, type CniPortMapping, type CniRuntimeConf } from './cni.js';
import type { NetnsManager } from './netns.js';
import type { PinPaths, ProcSysWrites } from './pinns.js';
import { asObject, asString, RecordStore } from './records.js';
import { KeyedLock } from '../../util/keyed-lock.js';
import { allSettledOrThrow } from '../../util/settle.js';

export const DEFAULT_POD_IFNAME = 'eth0';

/** A CRI PortMapping; entries with hostPort 0 (no host port) are not programmed. */
export interface PodPortMapping {
  hostPort: number;
  containerPort: number;
  /** CRI's TCP/UDP/SCTP (any case); default TCP. */
  protocol?: string;
  hostIP?: string;
}

export interface PodNetworkRequest {
  sandboxId: string;
  podName: string;
  podNamespace: string;
  podUid?: string;
  portMappings?: PodPortMapping[];
  /** Cancels plugin runs of the set-up; the rollback itself is never cancelled. */
  signal?: AbortSignal;
  /** More of the pod's namespaces to pin with the network namespace, and /proc/sys writes in them (NetnsManager.create). */
  pins?: { paths?: Omit<PinPaths, 'net'>; writes?: ProcSysWrites };
}

export interface PodNetworkStatus {
  sandboxId: string;
  netnsPath: string;
  ifName: string;
  /** The pod IP (IPv4 first) and the others, without prefix length, as CRI reports them. */
  ip: string;
  additionalIPs: string[];
  result: CniResult;
}

export interface AttachedNetwork {
  conflist: CniConflist;
  ifName: string;
  result?: JsonObject;
}

export interface PodNetworkRecord {
  sandboxId: string;
  netnsName: string;
  netnsPath: string;
  ifName: string;
  args: Array<[string, string]>;
  portMappings: CniPortMapping[];
  phase: 'setting-up' | 'ready';
  networks: AttachedNetwork[];
  updatedAt: string;
}

export interface NetworkCondition {
  ready: boolean;
  /** CRI NetworkReady condition reason/message when not ready (containerd's wording). */
  reason: string;
  message: string;
}

export interface PodNetworkManagerOptions {
  /** Directory of attachment records (e.g. `<runtime root>/cni`). */
  recordsDir: string;
  netns: NetnsManager;
  /** The pod network; may be given later with setNetwork() (e.g. after UpdateRuntimeConfig). */
  network?: CniConflist;
  binDirs?: readonly string[];
  /** Bring `lo` up with the loopback plugin first (default true). */
  loopback?: boolean;
  pluginTimeoutMs?: number;
}

export class PodNetworkManager {
  readonly records: RecordStore<PodNetworkRecord>;
  private readonly netns: NetnsManager;
  private readonly binDirs: readonly string[];
  private readonly loopback: boolean;
  private readonly timeoutMs: number | undefined;
  private conflist: CniConflist | undefined;
  private readonly locks = new KeyedLock();

  constructor(options: PodNetworkManagerOptions) {
    this.records = podNetworkRecordStore(options.recordsDir);
    this.netns = options.netns;
    this.binDirs = options.binDirs ?? DEFAULT_CNI_BIN_DIRS;
    this.loopback = options.loopback ?? true;
    this.timeoutMs = options.pluginTimeoutMs;
    this.conflist = options.network;
  }

  /** Sets the network new pods get; existing pods keep (and tear down with) their recorded one. */
  setNetwork(conflist: CniConflist): void {
    this.conflist = conflist;
  }

  network(): CniConflist | undefined {
    return this.conflist;
  }

  /** The CRI NetworkReady condition: a network is configured and its plugin binaries exist. */
  async condition(): Promise<NetworkCondition> {
    if (this.conflist === undefined) return { ready: false, reason: 'NetworkPluginNotReady', message: 'Network plugin returns error: cni config uninitialized' };
    const types = this.conflist.plugins.map((p) => p.type);
    if (this.loopback) types.push('loopback');
    for (const t of types) {
      try {
        await findPlugin(t, this.binDirs, this.conflist.name);
      } catch (e) {
        return { ready: false, reason: 'NetworkPluginNotReady', message: `Network plugin returns error: ${(e as Error).message}` };
      }
    }
    return { ready: true, reason: '', message: '' };
  }

  async setUp(req: PodNetworkRequest): Promise<PodNetworkStatus> {
    return this.locks.run(req.sandboxId, () => this.doSetUp(req));
  }

  /** Runs CNI CHECK for each recorded network; throws the plugin's error when one fails. */
  async check(sandboxId: string, signal?: AbortSignal): Promise<void> {
    return this.locks.run(sandboxId, async () => {
      const rec = await this.records.get(sandboxId);
      if (rec === undefined || rec.phase !== 'ready') throw new Error(`sandbox ${sandboxId} has no network set up`);
      for (const n of rec.networks) {
        if (n.result === undefined) throw new Error(`sandbox ${sandboxId}: network "${n.conflist.name}" has no recorded ADD result`);
        await checkNetworkList(n.conflist, this.runtimeConf(rec, n, rec.netnsPath), n.result, this.execOptions(signal));
      }
    });
  }

  async tearDown(sandboxId: string): Promise<void> {
    return this.locks.run(sandboxId, () => this.doTearDown(sandboxId));
  }

  /** The recorded status of a set-up pod network, or undefined. */
  async status(sandboxId: string): Promise<PodNetworkStatus | undefined> {
    const rec = await this.records.get(sandboxId);
    return rec === undefined || rec.phase !== 'ready' ? undefined : statusOf(rec);
  }

  async list(): Promise<PodNetworkRecord[]> {
    return (await this.records.list()).map((e) => e.value);
  }

  /**
   * After a restart: tears down set-ups a crash interrupted (phase "setting-up"). Ready ones are
   * left for the sandbox owner. Returns what it tore down and what failed.
   */
  async recover(): Promise<{ tornDown: string[]; failed: Array<{ sandboxId: string; error: Error }> }> {
    const tornDown: string[] = [];
    const failed: Array<{ sandboxId: string; error: Error }> = [];
    for (const rec of await this.list()) {
      if (rec.phase === 'ready') continue;
      try {
        await this.tearDown(rec.sandboxId);
        tornDown.push(rec.sandboxId);
      } catch (e) {
        failed.push({ sandboxId: rec.sandboxId, error: e instanceof Error ? e : new Error(String(e)) });
      }
    }
    return { tornDown, failed };
  }

  private async doSetUp(req: PodNetworkRequest): Promise<PodNetworkStatus> {
    const main = this.conflist;
    if (main === undefined) throw new Error('cannot set up the pod network: no CNI network is configured yet (NetworkReady=false)');
    if ((await this.records.get(req.sandboxId)) !== undefined) throw new Error(`sandbox ${req.sandboxId} already has a network; tear it down first`);
    const networks: AttachedNetwork[] = [];
    if (this.loopback) networks.push({ conflist: loopbackNetwork(main.cniVersion), ifName: 'lo' });
    networks.push({ conflist: main, ifName: DEFAULT_POD_IFNAME });
    const rec: PodNetworkRecord = {
      sandboxId: req.sandboxId,
      netnsName: req.sandboxId,
      netnsPath: this.netns.pathOf(req.sandboxId),
      ifName: DEFAULT_POD_IFNAME,
      args: cniArgs(req),
      portMappings: toCniPortMappings(req.portMappings ?? []),
      phase: 'setting-up',
      networks,
      updatedAt: new Date().toISOString(),
    };
    await this.records.put(rec.sandboxId, rec);
    try {
      rec.netnsPath = await this.netns.create(rec.netnsName, req.pins);
      // The attachments touch different interfaces (lo, eth0), so they are added side by side.
      await allSettledOrThrow(
        networks.map(async (n) => {
          n.result = (await addNetworkList(n.conflist, this.runtimeConf(rec, n, rec.netnsPath), this.execOptions(req.signal))).raw;
        }),
      );
      rec.phase = 'ready';
      rec.updatedAt = new Date().toISOString();
      await this.records.put(rec.sandboxId, rec);
      return statusOf(rec);
    } catch (setUpError) {
      // addNetworkList rolled back a network that failed; undo the ones that succeeded.
      try {
        await this.undo(rec, networks.filter((n) => n.result !== undefined));
      } catch (undoError) {
        throw new Error(`${(setUpError as Error).message}; cleaning up also failed, will retry on teardown: ${(undoError as Error).message}`);
      }
      throw setUpError;
    }
  }

  private async doTearDown(sandboxId: string): Promise<void> {
    const rec = await this.records.get(sandboxId);
    if (rec === undefined) {
      await this.netns.remove(sandboxId);
      return;
    }
    await this.undo(rec, rec.networks);
  }

  /** DEL the given networks, then remove the namespace and the record. */
  private async undo(rec: PodNetworkRecord, networks: AttachedNetwork[]): Promise<void> {
    const netnsPath = (await this.netns.exists(rec.netnsName)) ? rec.netnsPath : '';
    // Side by side, as they were added (each touches its own interface).
    const deleted = await Promise.allSettled(networks.map((n) => delNetworkList(n.conflist, this.runtimeConf(rec, n, netnsPath), n.result, this.execOptions(undefined))));
    const errors = deleted.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason : new Error(String(r.reason))] : []));
    if (errors.length > 0) throw new Error(errors.map((e) => e.message).join('; '));
    await this.netns.remove(rec.netnsName);
    await this.records.delete(rec.sandboxId);
  }

  private runtimeConf(rec: PodNetworkRecord, n: AttachedNetwork, netnsPath: string): CniRuntimeConf {
    return { containerId: rec.sandboxId, netns: netnsPath, ifName: n.ifName, args: rec.args, capabilityArgs: { portMappings: rec.portMappings } };
  }

  private execOptions(signal: AbortSignal | undefined): { binDirs: readonly string[]; timeoutMs?: number; signal?: AbortSignal } {
    return { binDirs: this.binDirs, timeoutMs: this.timeoutMs, signal };
  }
}

function statusOf(rec: PodNetworkRecord): PodNetworkStatus {
  const main = rec.networks.find((n) => n.ifName === rec.ifName);
  if (main?.result === undefined) throw new Error(`sandbox ${rec.sandboxId}: no recorded result for ${rec.ifName}`);
  const result = parseCniResult(main.result);
  const ips = podIPs(result, rec.ifName);
  return { sandboxId: rec.sandboxId, netnsPath: rec.netnsPath, ifName: rec.ifName, ip: ips[0] ?? '', additionalIPs: ips.slice(1), result };
}

/** CNI_ARGS as kubelet's dockershim and containerd pass them. */
function cniArgs(req: PodNetworkRequest): Array<[string, string]> {
  const args: Array<[string, string]> = [
    ['IgnoreUnknown', '1'],
    ['K8S_POD_NAMESPACE', req.podNamespace],
    ['K8S_POD_NAME', req.podName],
    ['K8S_POD_INFRA_CONTAINER_ID', req.sandboxId],
  ];
  if (req.podUid !== undefined && req.podUid !== '') args.push(['K8S_POD_UID', req.podUid]);
  for (const [k, v] of args) {
    if (/[;=]/.test(v)) throw new Error(`${k} ${JSON.stringify(v)} cannot be passed in CNI_ARGS: it contains ';' or '='`);
  }
  return args;
}

export function toCniPortMappings(mappings: PodPortMapping[]): CniPortMapping[] {
  const out: CniPortMapping[] = [];
  for (const m of mappings) {
    if (m.hostPort <= 0) continue;
    const protocol = (m.protocol ?? 'TCP').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') throw new Error(`port mapping protocol ${JSON.stringify(m.protocol)} is not TCP, UDP or SCTP`);
    if (!isPort(m.hostPort) || !isPort(m.containerPort)) throw new Error(`port mapping ${m.hostPort}:${m.containerPort} is out of range 1-65535`);
    const pm: CniPortMapping = { hostPort: m.hostPort, containerPort: m.containerPort, protocol };
    if (m.hostIP !== undefined && m.hostIP !== '') pm.hostIP = m.hostIP;
    out.push(pm);
  }
  return out;
}

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

export function podNetworkRecordStore(dir: string): RecordStore<PodNetworkRecord> {
  return new RecordStore<PodNetworkRecord>({
    dir,
    validate: (v, id) => {
      const o = asObject(v, 'pod network record');
      if (asString(o.sandboxId, 'sandboxId') !== id) throw new Error('sandboxId does not match the record id');
      if (o.phase !== 'setting-up' && o.phase !== 'ready') throw new Error(`unknown phase ${JSON.stringify(o.phase)}`);
      if (!Array.isArray(o.networks) || !Array.isArray(o.args) || !Array.isArray(o.portMappings)) throw new Error('networks, args and portMappings must be arrays');
      const networks = o.networks.map((n, i) => {
        const no = asObject(n, `networks[${i}]`);
        const out: AttachedNetwork = { conflist: parseConflist(JSON.stringify(no.conflist), `networks[${i}].conflist`), ifName: asString(no.ifName, `networks[${i}].ifName`) };
        if (no.result !== undefined) out.result = asObject(no.result, `networks[${i}].result`) as JsonObject;
        return out;
      });
      asString(o.netnsName, 'netnsName');
      asString(o.netnsPath, 'netnsPath');
      asString(o.ifName, 'ifName');
      return { ...(o as unknown as PodNetworkRecord), networks };
    },
  });
}
