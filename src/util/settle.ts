// Running independent steps side by side when a failure must be cleaned up: Promise.all rejects
// at the first failure while the other steps still run, so a rollback could start before they
// finish (and miss what they make). These wait for every step first.

/** Awaits every promise (undefined entries are skipped); then throws the first failure, if any. */
export async function allSettledOrThrow(work: ReadonlyArray<Promise<unknown> | undefined>): Promise<void> {
  const failed = (await Promise.allSettled(work)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
