// CriClient: a typed CRI v1 client (RuntimeService + ImageService) over a unix socket.
//
// Contract:
// - One method per RPC, named after it in lowerCamelCase (`runPodSandbox`, `imageFsInfo`).
//   Requests are `Input<...>` (every field optional, missing = zero value); responses are fully
//   decoded messages (see proto.ts: scalars/arrays/maps always present, absent messages null).
// - Every unary call has a deadline: `timeoutMs` per call, else the client default (2 minutes,
//   the kubelet's runtime request timeout). PullImage has none by default (pulls of large
//   images take as long as they take, as in the kubelet); pass `timeoutMs` to bound it.
//   `timeoutMs: 0` means no deadline. An aborted `signal` cancels the call.
// - Failures reject with CriError carrying the gRPC status code and the peer's message.
// - The connection is made lazily on the first call and re-established by gRPC after the
//   peer restarts; `close()` releases it.

import * as grpc from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { CriError, toCriError } from './errors.js';
import { CRI_MAX_MESSAGE_BYTES, criDefinition } from './proto.js';
import type * as T from './types.js';
import type { ImageServiceRpcs, Input, RuntimeServiceRpcs } from './types.js';

export const DEFAULT_CRI_TIMEOUT_MS = 2 * 60 * 1000;

export interface CriClientOptions {
  /** Default deadline of unary calls; 0 = none. Default 2 minutes. */
  timeoutMs?: number;
  /** Endpoint of the ImageService when it differs (crictl's --image-endpoint). */
  imageEndpoint?: string;
}

export interface CallOptions {
  /** Deadline of this call in milliseconds; 0 = none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * The gRPC target for a CRI endpoint: `unix:///run/skiff/cri.sock` and `unix:relative.sock`
 * pass through, a plain path becomes a unix target, `tcp://host:port` becomes `host:port`.
 */
export function criTarget(endpoint: string): string {
  if (endpoint.startsWith('unix:')) return endpoint;
  if (endpoint.startsWith('tcp://')) return endpoint.slice('tcp://'.length);
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  if (endpoint === '') throw new Error('CRI endpoint is empty: give a unix socket path such as /run/skiff/cri.sock');
  return `unix:${endpoint}`;
}

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': CRI_MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': CRI_MAX_MESSAGE_BYTES,
};

type Rpcs = RuntimeServiceRpcs & ImageServiceRpcs;
type Req<K extends keyof Rpcs> = Input<Rpcs[K]['request']>;
type Res<K extends keyof Rpcs> = Promise<Rpcs[K]['response']>;

export class CriClient {
  private readonly runtimeConn: grpc.Client;
  private readonly imageConn: grpc.Client;
  private readonly timeoutMs: number;

  constructor(readonly endpoint: string, options: CriClientOptions = {}) {
    const creds = grpc.credentials.createInsecure();
    this.runtimeConn = new grpc.Client(criTarget(endpoint), creds, CHANNEL_OPTIONS);
    this.imageConn =
      options.imageEndpoint && options.imageEndpoint !== endpoint
        ? new grpc.Client(criTarget(options.imageEndpoint), creds, CHANNEL_OPTIONS)
        : this.runtimeConn;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CRI_TIMEOUT_MS;
  }

  /** Closes the connection(s); calls in flight fail with CANCELLED or UNAVAILABLE. */
  close(): void {
    this.runtimeConn.close();
    if (this.imageConn !== this.runtimeConn) this.imageConn.close();
  }

  /** Resolves once the runtime endpoint accepts connections, or rejects after `timeoutMs`. */
  waitForReady(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.runtimeConn.waitForReady(Date.now() + timeoutMs, (err) =>
        err ? reject(new CriError(grpc.status.UNAVAILABLE, `CRI endpoint ${this.endpoint} not ready after ${timeoutMs} ms: ${err.message}`)) : resolve(),
      );
    });
  }

  // --- RuntimeService ---
  version(r: Req<'Version'> = {}, o?: CallOptions): Res<'Version'> { return this.rt('Version', r, o); }
  runPodSandbox(r: Req<'RunPodSandbox'>, o?: CallOptions): Res<'RunPodSandbox'> { return this.rt('RunPodSandbox', r, o); }
  stopPodSandbox(r: Req<'StopPodSandbox'>, o?: CallOptions): Res<'StopPodSandbox'> { return this.rt('StopPodSandbox', r, o); }
  removePodSandbox(r: Req<'RemovePodSandbox'>, o?: CallOptions): Res<'RemovePodSandbox'> { return this.rt('RemovePodSandbox', r, o); }
  podSandboxStatus(r: Req<'PodSandboxStatus'>, o?: CallOptions): Res<'PodSandboxStatus'> { return this.rt('PodSandboxStatus', r, o); }
  listPodSandbox(r: Req<'ListPodSandbox'> = {}, o?: CallOptions): Res<'ListPodSandbox'> { return this.rt('ListPodSandbox', r, o); }
  createContainer(r: Req<'CreateContainer'>, o?: CallOptions): Res<'CreateContainer'> { return this.rt('CreateContainer', r, o); }
  startContainer(r: Req<'StartContainer'>, o?: CallOptions): Res<'StartContainer'> { return this.rt('StartContainer', r, o); }
  stopContainer(r: Req<'StopContainer'>, o?: CallOptions): Res<'StopContainer'> { return this.rt('StopContainer', r, o); }
  removeContainer(r: Req<'RemoveContainer'>, o?: CallOptions): Res<'RemoveContainer'> { return this.rt('RemoveContainer', r, o); }
  listContainers(r: Req<'ListContainers'> = {}, o?: CallOptions): Res<'ListContainers'> { return this.rt('ListContainers', r, o); }
  containerStatus(r: Req<'ContainerStatus'>, o?: CallOptions): Res<'ContainerStatus'> { return this.rt('ContainerStatus', r, o); }
  updateContainerResources(r: Req<'UpdateContainerResources'>, o?: CallOptions): Res<'UpdateContainerResources'> { return this.rt('UpdateContainerResources', r, o); }
  reopenContainerLog(r: Req<'ReopenContainerLog'>, o?: CallOptions): Res<'ReopenContainerLog'> { return this.rt('ReopenContainerLog', r, o); }
  execSync(r: Req<'ExecSync'>, o?: CallOptions): Res<'ExecSync'> { return this.rt('ExecSync', r, o); }
  exec(r: Req<'Exec'>, o?: CallOptions): Res<'Exec'> { return this.rt('Exec', r, o); }
  attach(r: Req<'Attach'>, o?: CallOptions): Res<'Attach'> { return this.rt('Attach', r, o); }
  portForward(r: Req<'PortForward'>, o?: CallOptions): Res<'PortForward'> { return this.rt('PortForward', r, o); }
  containerStats(r: Req<'ContainerStats'>, o?: CallOptions): Res<'ContainerStats'> { return this.rt('ContainerStats', r, o); }
  listContainerStats(r: Req<'ListContainerStats'> = {}, o?: CallOptions): Res<'ListContainerStats'> { return this.rt('ListContainerStats', r, o); }
  podSandboxStats(r: Req<'PodSandboxStats'>, o?: CallOptions): Res<'PodSandboxStats'> { return this.rt('PodSandboxStats', r, o); }
  listPodSandboxStats(r: Req<'ListPodSandboxStats'> = {}, o?: CallOptions): Res<'ListPodSandboxStats'> { return this.rt('ListPodSandboxStats', r, o); }
  updateRuntimeConfig(r: Req<'UpdateRuntimeConfig'>, o?: CallOptions): Res<'UpdateRuntimeConfig'> { return this.rt('UpdateRuntimeConfig', r, o); }
  status(r: Req<'Status'> = {}, o?: CallOptions): Res<'Status'> { return this.rt('Status', r, o); }
  checkpointContainer(r: Req<'CheckpointContainer'>, o?: CallOptions): Res<'CheckpointContainer'> { return this.rt('CheckpointContainer', r, o); }
  listMetricDescriptors(r: Req<'ListMetricDescriptors'> = {}, o?: CallOptions): Res<'ListMetricDescriptors'> { return this.rt('ListMetricDescriptors', r, o); }
  listPodSandboxMetrics(r: Req<'ListPodSandboxMetrics'> = {}, o?: CallOptions): Res<'ListPodSandboxMetrics'> { return this.rt('ListPodSandboxMetrics', r, o); }
  runtimeConfig(r: Req<'RuntimeConfig'> = {}, o?: CallOptions): Res<'RuntimeConfig'> { return this.rt('RuntimeConfig', r, o); }

  /**
   * The server-streamed container events. No deadline unless `timeoutMs` is given; end it by
   * breaking out of the loop or aborting `signal` (the iteration then simply finishes).
   */
  async *getContainerEvents(r: Req<'GetContainerEvents'> = {}, o: CallOptions = {}): AsyncGenerator<T.ContainerEventResponse> {
    const def = criDefinition().runtime.GetContainerEvents as MethodDefinition<unknown, T.ContainerEventResponse>;
    const call = this.runtimeConn.makeServerStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, r, new grpc.Metadata(), this.callOptions(o, 0));
    const onAbort = (): void => call.cancel();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (o.signal?.aborted) return;
      for await (const event of call as AsyncIterable<T.ContainerEventResponse>) yield event;
    } catch (err) {
      if (o.signal?.aborted) return;
      throw toCriError(err, def.path);
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  // --- ImageService ---
  listImages(r: Req<'ListImages'> = {}, o?: CallOptions): Res<'ListImages'> { return this.img('ListImages', r, o); }
  imageStatus(r: Req<'ImageStatus'>, o?: CallOptions): Res<'ImageStatus'> { return this.img('ImageStatus', r, o); }
  pullImage(r: Req<'PullImage'>, o?: CallOptions): Res<'PullImage'> { return this.img('PullImage', r, o, 0); }
  removeImage(r: Req<'RemoveImage'>, o?: CallOptions): Res<'RemoveImage'> { return this.img('RemoveImage', r, o); }
  imageFsInfo(r: Req<'ImageFsInfo'> = {}, o?: CallOptions): Res<'ImageFsInfo'> { return this.img('ImageFsInfo', r, o); }

  private rt<K extends keyof RuntimeServiceRpcs>(name: K, req: Req<K>, o?: CallOptions): Res<K> {
    return this.unary(this.runtimeConn, criDefinition().runtime[name] as MethodDefinition<unknown, Rpcs[K]['response']>, req, o ?? {}, this.timeoutMs);
  }

  private img<K extends keyof ImageServiceRpcs>(name: K, req: Req<K>, o?: CallOptions, defaultTimeoutMs = this.timeoutMs): Res<K> {
    return this.unary(this.imageConn, criDefinition().image[name] as MethodDefinition<unknown, Rpcs[K]['response']>, req, o ?? {}, defaultTimeoutMs);
  }

  private callOptions(o: CallOptions, defaultTimeoutMs: number): grpc.CallOptions {
    const ms = o.timeoutMs ?? defaultTimeoutMs;
    return ms > 0 ? { deadline: Date.now() + ms } : {};
  }

  private unary<R>(conn: grpc.Client, def: MethodDefinition<unknown, R>, req: unknown, o: CallOptions, defaultTimeoutMs: number): Promise<R> {
    if (o.signal?.aborted) return Promise.reject(new CriError(grpc.status.CANCELLED, 'call aborted before it started', def.path));
    return new Promise<R>((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = conn.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, new grpc.Metadata(), this.callOptions(o, defaultTimeoutMs), (err, res) => {
        o.signal?.removeEventListener('abort', onAbort);
        if (err) reject(toCriError(err, def.path));
        else if (res === undefined) reject(new CriError(grpc.status.INTERNAL, 'empty response', def.path));
        else resolve(res);
      });
      o.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
