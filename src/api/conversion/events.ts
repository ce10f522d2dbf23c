// events.k8s.io/v1 Event ⇄ core/v1 Event. Upstream stores both versions as one object (in the
// core form), so an event written through either API is read through the other. Field mapping
// as upstream documents it: regarding ⇄ involvedObject, note ⇄ message, reportingController ⇄
// reportingComponent, deprecatedSource ⇄ source, deprecatedFirstTimestamp ⇄ firstTimestamp,
// deprecatedLastTimestamp ⇄ lastTimestamp, deprecatedCount ⇄ count; the rest keep their names.

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> };

const renames: [events: string, core: string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(obj: Obj, apiVersion: string, from: 0 | 1): Obj {
  const to = from === 0 ? 1 : 0;
  const out: Obj = { ...obj, apiVersion, kind: 'Event' };
  for (const pair of renames) {
    const src = pair[from];
    if (src in out) {
      const v = out[src];
      delete out[src];
      if (v !== undefined) out[pair[to]] = v;
    }
  }
  return out;
}

export const toCoreEvent = (e: Obj): Obj => rename(e, 'v1', 0);
export const fromCoreEvent = (e: Obj): Obj => rename(e, 'events.k8s.io/v1', 1);
