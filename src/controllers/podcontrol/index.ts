// Shared building blocks for controllers that manage pods from a template (ReplicaSet today;
// DaemonSet, StatefulSet and Job may use the same):
// - pods.ts        the PodObj shape (the predicates are in src/api/pods.ts, controller refs in
//                  src/api/ownerrefs.ts)
// - expectations.ts Expectations: no double creates or deletes while the informer lags
// - ranking.ts     rankPodsForDeletion / podsToDelete: upstream's scale-down order
// - podcontrol.ts  PodControl.createPod/deletePod with upstream's events; slowStartBatch
// - claim.ts       claimObjects: adopt matching orphans, release non-matching owned objects

export * from './pods.js';
export * from './expectations.js';
export * from './ranking.js';
export * from './podcontrol.js';
export * from './claim.js';
