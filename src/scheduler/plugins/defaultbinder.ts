// DefaultBinder: binds the pod by POSTing its `pods/binding` subresource.

import { Code, status, success, type BindPlugin, type CycleState, type Handle, type PluginFactory, type PodInfo, type Status } from '../framework/types.js';

export const defaultBinderName = 'DefaultBinder';

export class DefaultBinder implements BindPlugin {
  readonly name = defaultBinderName;
  constructor(private readonly handle: Handle) {}

  async bind(_state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    if (!this.handle.bindPod) return status(Code.Error, 'this framework cannot bind pods (no bindPod in its handle)');
    try {
      await this.handle.bindPod(pod.pod, nodeName);
      return success;
    } catch (err) {
      return status(Code.Error, err instanceof Error ? err.message : String(err));
    }
  }
}

export const newDefaultBinder: PluginFactory = (_args, handle) => new DefaultBinder(handle);
