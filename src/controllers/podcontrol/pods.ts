// The pod shape the workload controllers hold: a stored object (metadata always present) with
// spec and status as the API server keeps them. The predicates on pods live in src/api/pods.ts
// and the controller-reference helpers in src/api/ownerrefs.ts.

import type { PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import type { KObject } from '../../apiserver/object.js';

/** A stored pod: metadata is always there; spec and status as the API server keeps them. */
export type PodObj = KObject & { spec?: PodSpec; status?: PodStatus };
