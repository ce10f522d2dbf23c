import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StatusError } from '../../../src/api/errors.js';
import { findResource } from '../../../src/api/resources.js';
import type { ResourceInfo } from '../../../src/api/resources.js';
import { fieldMatcher, fieldSelectorToString, fieldsOf, matchesFields, parseFieldSelector } from '../../../src/api/selectors/fields.js';

function res(group: string, plural: string): ResourceInfo {
  const r = findResource(group, 'v1', plural);
  assert.ok(r, `${group}/${plural} is registered`);
  return r;
}
const pods = res('', 'pods');
const nodes = res('', 'nodes');
const namespaces = res('', 'namespaces');
const configmaps = res('', 'configmaps');
const events = res('', 'events');
const eventsV1 = res('events.k8s.io', 'events');
const jobs = res('batch', 'jobs');
const secrets = res('', 'secrets');
const services = res('', 'services');
const replicasets = res('apps', 'replicasets');
const priorityclasses = res('scheduling.k8s.io', 'priorityclasses');

function rejection(s: string, r?: ResourceInfo): string {
  try {
    parseFieldSelector(s, r);
  } catch (e) {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(s)} to be rejected`);
}

describe('parseFieldSelector syntax', () => {
  it('parses =, == and != terms', () => {
    const sel = parseFieldSelector('status.phase!=Failed,spec.nodeName==n1,metadata.name=p');
    assert.deepEqual(sel.requirements, [
      { field: 'metadata.name', operator: '=', value: 'p' },
      { field: 'spec.nodeName', operator: '=', value: 'n1' },
      { field: 'status.phase', operator: '!=', value: 'Failed' },
    ]);
    assert.equal(fieldSelectorToString(sel), 'metadata.name=p,spec.nodeName=n1,status.phase!=Failed');
  });

  it('is empty for the empty string and skips empty terms', () => {
    assert.deepEqual(parseFieldSelector('').requirements, []);
    assert.equal(parseFieldSelector('a=b,,').requirements.length, 1);
  });

  it('unescapes values and round-trips them', () => {
    const sel = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d');
    assert.equal(sel.requirements[0]?.value, 'a,b=c\\d');
    assert.equal(fieldSelectorToString(sel), 'metadata.name=a\\,b\\=c\\\\d');
  });

  it('reports upstream messages', () => {
    assert.equal(rejection('abc'), "invalid selector: 'abc'; can't understand 'abc'");
    assert.equal(rejection('a=b=c'), 'invalid field selector: unescaped character in value: 61');
    assert.equal(rejection('a=b\\q'), 'invalid field selector: invalid escape sequence: \\q');
    assert.equal(rejection('a=b\\'), 'invalid field selector: invalid escape sequence: \\');
  });
});

describe('per-kind field labels', () => {
  it('accepts pod fields and renames the legacy spec.host', () => {
    const sel = parseFieldSelector('spec.host=n1,status.phase=Running', pods);
    assert.deepEqual(
      sel.requirements.map((r) => r.field),
      ['spec.nodeName', 'status.phase'],
    );
  });

  it('rejects unsupported fields with the kind-specific message', () => {
    assert.equal(rejection('status.hostIP=1.2.3.4', pods), 'field label not supported: status.hostIP');
    assert.equal(rejection('metadata.namespace=x', nodes), 'field label not supported: metadata.namespace');
    assert.equal(rejection('metadata.namespace=x', namespaces), 'field label not supported: metadata.namespace');
    assert.equal(rejection('involvedObject.kind=Pod', eventsV1), 'field label not supported: involvedObject.kind');
    assert.equal(rejection('status.active=1', jobs), 'field label "status.active" not supported for Job');
    assert.equal(rejection('data.x=1', configmaps), '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"');
    // apps/v1 registers no field-label conversion, so status.replicas is refused like any field.
    assert.equal(rejection('status.replicas=1', replicasets), '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });

  it('accepts metadata.namespace on cluster-scoped kinds without a conversion (matching only "")', () => {
    const sel = parseFieldSelector('metadata.namespace=', priorityclasses);
    assert.equal(fieldMatcher(priorityclasses, sel)({ metadata: { name: 'high' } }), true);
    const other = parseFieldSelector('metadata.namespace=x', priorityclasses);
    assert.equal(fieldMatcher(priorityclasses, other)({ metadata: { name: 'high' } }), false);
  });
});

describe('fieldsOf', () => {
  it('gives the selectable pod fields with upstream values', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'ns' },
      spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default' },
      status: { phase: 'Running', podIP: '10.0.0.9', podIPs: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }] },
    };
    assert.deepEqual(fieldsOf(pods, pod), {
      'metadata.name': 'p',
      'metadata.namespace': 'ns',
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'default',
      'spec.hostNetwork': 'false',
      'status.phase': 'Running',
      'status.podIP': '10.0.0.1',
      'status.nominatedNodeName': '',
    });
  });

  it('reads node, namespace, secret, service and job fields', () => {
    assert.equal(fieldsOf(nodes, { metadata: { name: 'n' }, spec: { unschedulable: true } })['spec.unschedulable'], 'true');
    assert.equal(fieldsOf(nodes, { metadata: { name: 'n' } })['spec.unschedulable'], 'false');
    assert.equal(fieldsOf(namespaces, { metadata: { name: 'ns' }, status: { phase: 'Active' } })['status.phase'], 'Active');
    assert.equal(fieldsOf(secrets, { metadata: { name: 's' }, type: 'kubernetes.io/tls' }).type, 'kubernetes.io/tls');
    assert.equal(fieldsOf(services, { metadata: { name: 's' }, spec: { type: 'NodePort', clusterIP: 'None' } })['spec.clusterIP'], 'None');
    assert.equal(fieldsOf(jobs, { metadata: { name: 'j' }, status: { succeeded: 3 } })['status.successful'], '3');
    assert.equal(fieldsOf(jobs, { metadata: { name: 'j' } })['status.successful'], '0');
  });

  it('falls back to reportingComponent for a core event source', () => {
    const ev = { metadata: { name: 'e', namespace: 'ns' }, involvedObject: { kind: 'Pod', name: 'p' }, reportingComponent: 'kubelet', reason: 'Started', type: 'Normal' };
    const f = fieldsOf(events, ev);
    assert.equal(f.source, 'kubelet');
    assert.equal(f['involvedObject.kind'], 'Pod');
    assert.equal(f['involvedObject.uid'], '');
  });

  it('maps events.k8s.io labels onto the regarding object', () => {
    const ev = { metadata: { name: 'e', namespace: 'ns' }, regarding: { kind: 'Pod', name: 'p' }, reportingController: 'kubelet', type: 'Warning' };
    const sel = parseFieldSelector('regarding.kind=Pod,regarding.name=p,reportingController=kubelet,type=Warning', eventsV1);
    assert.equal(matchesFields(sel, fieldsOf(eventsV1, ev)), true);
    assert.equal(fieldMatcher(eventsV1, sel)(ev), true);
    assert.equal(fieldMatcher(eventsV1, sel)({ ...ev, type: 'Normal' }), false);
  });
});

describe('matching', () => {
  it('treats accepted-but-unset fields as empty (status.podIPs)', () => {
    const pod = { metadata: { name: 'p' }, status: { podIPs: [{ ip: '10.0.0.1' }] } };
    assert.equal(fieldMatcher(pods, parseFieldSelector('status.podIPs=10.0.0.1', pods))(pod), false);
    assert.equal(fieldMatcher(pods, parseFieldSelector('status.podIPs=', pods))(pod), true);
  });

  it('fieldMatcher agrees with matchesFields(fieldsOf)', () => {
    const phase = fc.constantFrom('Pending', 'Running', 'Failed', '');
    const node = fc.constantFrom('n1', 'n2', '');
    const pod = fc.record({ phase, node, host: fc.boolean() }).map((p) => ({
      metadata: { name: 'p', namespace: 'ns' },
      spec: { nodeName: p.node, hostNetwork: p.host },
      status: { phase: p.phase },
    }));
    const term = fc.oneof(
      fc.tuple(fc.constantFrom('=', '!='), phase).map(([op, v]) => `status.phase${op}${v}`),
      fc.tuple(fc.constantFrom('=', '!='), node).map(([op, v]) => `spec.nodeName${op}${v}`),
      fc.tuple(fc.constantFrom('=', '!='), fc.constantFrom('true', 'false')).map(([op, v]) => `spec.hostNetwork${op}${v}`),
    );
    fc.assert(
      fc.property(fc.array(term, { maxLength: 3 }), pod, (terms, p) => {
        const sel = parseFieldSelector(terms.join(','), pods);
        assert.equal(fieldMatcher(pods, sel)(p), matchesFields(sel, fieldsOf(pods, p)));
      }),
    );
  });
});
