import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HOUR, MIN, SEC, ago, cells, headers } from './fixtures.js';

const HEADERS = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'SUBOBJECT*', 'SOURCE*', 'MESSAGE', 'FIRST SEEN*', 'COUNT*', 'NAME*'];

describe('event tables', () => {
  it('has upstream columns for both API groups', () => {
    assert.deepEqual(headers('', 'Event'), HEADERS);
    assert.deepEqual(headers('events.k8s.io', 'Event'), HEADERS);
  });

  it('prints a core/v1 event', () => {
    const ev = {
      metadata: { name: 'web-1.17c', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default', fieldPath: 'spec.containers{nginx}' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container\n',
      type: 'Warning',
      source: { component: 'kubelet', host: 'node1' },
      firstTimestamp: ago(HOUR),
      lastTimestamp: ago(2 * MIN),
      count: 12,
    };
    assert.deepEqual(cells('', 'Event', ev), [
      '2m',
      'Warning',
      'BackOff',
      'pod/web-1',
      'spec.containers{nginx}',
      'kubelet, node1',
      'Back-off restarting failed container',
      '60m',
      12,
      'web-1.17c',
    ]);
  });

  it('falls back to eventTime, reporting fields and a count of one', () => {
    const ev = {
      metadata: { name: 'n.1' },
      involvedObject: { kind: 'Node' },
      reason: 'Starting',
      message: 'Starting kubelet.',
      type: 'Normal',
      eventTime: '2024-06-01T11:59:30.123456Z',
      reportingComponent: 'kubelet',
      reportingInstance: 'node1',
    };
    assert.deepEqual(cells('', 'Event', ev), ['29s', 'Normal', 'Starting', 'node', '', 'kubelet, node1', 'Starting kubelet.', '29s', 1, 'n.1']);
  });

  it('uses the series for repeated events', () => {
    const ev = {
      metadata: { name: 'e' },
      involvedObject: { kind: 'Pod', name: 'p' },
      eventTime: ago(10 * MIN),
      series: { count: 7, lastObservedTime: ago(20 * SEC) },
      source: { component: 'scheduler' },
    };
    const c = cells('', 'Event', ev);
    assert.deepEqual([c[0], c[5], c[7], c[8]], ['20s', 'scheduler', '10m', 7]);
  });

  it('prints events.k8s.io/v1 events through the core naming', () => {
    const ev = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e2' },
      regarding: { kind: 'Deployment', name: 'web' },
      note: 'Scaled up replica set web-7d4b9 to 3',
      reason: 'ScalingReplicaSet',
      type: 'Normal',
      eventTime: ago(3 * MIN),
      reportingController: 'deployment-controller',
      reportingInstance: '',
      deprecatedCount: 2,
      deprecatedFirstTimestamp: ago(5 * MIN),
      deprecatedLastTimestamp: ago(MIN),
    };
    assert.deepEqual(cells('events.k8s.io', 'Event', ev), [
      '60s',
      'Normal',
      'ScalingReplicaSet',
      'deployment/web',
      '',
      'deployment-controller',
      'Scaled up replica set web-7d4b9 to 3',
      '5m',
      2,
      'e2',
    ]);
  });
});
