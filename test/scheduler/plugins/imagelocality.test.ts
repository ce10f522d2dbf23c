import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { calculatePriority, newImageLocality, normalizedImageName } from '../../../src/scheduler/plugins/imagelocality.js';
import { snapshotOf } from '../../../src/scheduler/snapshot.js';
import { handleOf, makeNode, makePod, scoreAll } from '../fixtures.js';

const MB = 1024 * 1024;

describe('ImageLocality', () => {
  it('normalises image names without a tag to :latest', () => {
    assert.equal(normalizedImageName('nginx'), 'nginx:latest');
    assert.equal(normalizedImageName('registry:5000/nginx'), 'registry:5000/nginx:latest');
    assert.equal(normalizedImageName('nginx:1.25'), 'nginx:1.25');
    assert.equal(normalizedImageName('nginx@sha256:abc'), 'nginx@sha256:abc');
  });

  it('scores present images by size, scaled by how many nodes have them', () => {
    const nodes = [makeNode('n1').image(['app:latest'], 500 * MB).obj(), makeNode('n2').obj()];
    const snap = snapshotOf(nodes);
    const s = scoreAll(newImageLocality(undefined, handleOf(snap)), makePod('p').req({}, 'app').obj(), nodes, [], snap)!;
    // 500MB * 1/2 nodes = 250MB → 100 * (250 - 23) / (1000 - 23) = 23
    assert.deepEqual(Object.fromEntries(s), { n1: 23, n2: 0 });
  });

  it('an image on every node is worth its full size; images below 23MB count as nothing', () => {
    const nodes = [makeNode('n1').image(['app:1'], 500 * MB).image(['tiny:1'], 10 * MB).obj(), makeNode('n2').image(['app:1'], 500 * MB).obj()];
    const snap = snapshotOf(nodes);
    const s = scoreAll(newImageLocality(undefined, handleOf(snap)), makePod('p').req({}, 'app:1').obj(), nodes, [], snap)!;
    assert.deepEqual(Object.fromEntries(s), { n1: 48, n2: 48 });
    assert.equal(calculatePriority(10 * MB, 1), 0);
    assert.equal(calculatePriority(5000 * MB, 1), 100);
  });
});
