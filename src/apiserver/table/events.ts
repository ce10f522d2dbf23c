// Events, core/v1 and events.k8s.io/v1 alike: both are one stored Event upstream, printed as
// LAST SEEN TYPE REASON OBJECT MESSAGE (+ wide SUBOBJECT SOURCE FIRST SEEN COUNT NAME).

import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as EventsV1Event } from 'kubernetes-types/events/v1.js';
import { parseTime, timeSince } from '../../util/duration.js';
import { doc } from './descriptions.js';
import { col, int, nameColumn, nameOf, typed, wide } from './common.js';
import type { Obj, Printer, TableCell } from './types.js';

/** The fields of an Event the printer reads, in core/v1 naming. */
interface EventView {
  involvedObject: { kind?: string; name?: string; fieldPath?: string };
  type: string;
  reason: string;
  message: string;
  sourceComponent: string;
  sourceHost: string;
  reportingController: string;
  reportingInstance: string;
  firstTimestamp: unknown;
  lastTimestamp: unknown;
  eventTime: unknown;
  count: number;
  series?: { count?: number; lastObservedTime?: unknown };
}

function fromCore(e: CoreEvent): EventView {
  return {
    involvedObject: e.involvedObject ?? {},
    type: e.type ?? '',
    reason: e.reason ?? '',
    message: e.message ?? '',
    sourceComponent: e.source?.component ?? '',
    sourceHost: e.source?.host ?? '',
    reportingController: e.reportingComponent ?? '',
    reportingInstance: e.reportingInstance ?? '',
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    eventTime: e.eventTime,
    count: int(e.count),
    ...(e.series ? { series: e.series } : {}),
  };
}

/** events.k8s.io/v1 → core naming, as upstream's conversion does (note→message, regarding→involvedObject, deprecated*). */
function fromEventsV1(e: EventsV1Event): EventView {
  return {
    involvedObject: e.regarding ?? {},
    type: e.type ?? '',
    reason: e.reason ?? '',
    message: e.note ?? '',
    sourceComponent: e.deprecatedSource?.component ?? '',
    sourceHost: e.deprecatedSource?.host ?? '',
    reportingController: e.reportingController ?? '',
    reportingInstance: e.reportingInstance ?? '',
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    eventTime: e.eventTime,
    count: int(e.deprecatedCount),
    ...(e.series ? { series: e.series } : {}),
  };
}

/** 'component, host', or just the component; reporting* fill in for a missing source. */
function eventSource(e: EventView): string {
  const component = e.sourceComponent || e.reportingController;
  const instance = e.sourceHost || e.reportingInstance;
  return instance ? `${component}, ${instance}` : component;
}

function eventCells(obj: Obj, e: EventView, now: number): TableCell[] {
  // Events of the new API have eventTime instead of first/last timestamps.
  const first = timeSince(parseTime(e.firstTimestamp) === undefined ? e.eventTime : e.firstTimestamp, now);
  let last = parseTime(e.lastTimestamp) === undefined ? first : timeSince(e.lastTimestamp, now);
  let count = e.count;
  if (e.series) {
    last = timeSince(e.series.lastObservedTime, now);
    count = int(e.series.count);
  } else if (count === 0) {
    // Singleton events of the new API carry no count.
    count = 1;
  }
  const kind = (e.involvedObject.kind ?? '').toLowerCase();
  const target = e.involvedObject.name ? `${kind}/${e.involvedObject.name}` : kind;
  return [last, e.type, e.reason, target, e.involvedObject.fieldPath ?? '', eventSource(e), e.message.trim(), first, count, nameOf(obj)];
}

const columns = [
  col('Last Seen', 'string', doc['Event.lastTimestamp']),
  col('Type', 'string', doc['Event.type']),
  col('Reason', 'string', doc['Event.reason']),
  col('Object', 'string', doc['Event.involvedObject']),
  wide(col('Subobject', 'string', doc['ObjectReference.fieldPath'])),
  wide(col('Source', 'string', doc['Event.source'])),
  col('Message', 'string', doc['Event.message']),
  wide(col('First Seen', 'string', doc['Event.firstTimestamp'])),
  wide(col('Count', 'string', doc['Event.count'])),
  { ...nameColumn, priority: 1 },
];

export const eventPrinter: Printer = { columns, cells: (obj, now) => eventCells(obj, fromCore(typed<CoreEvent>(obj)), now) };
export const eventsV1Printer: Printer = { columns, cells: (obj, now) => eventCells(obj, fromEventsV1(typed<EventsV1Event>(obj)), now) };
