import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importedNames } from '../../src/cli/image-store.js';
import { renderImageRecords } from '../../src/cli/images-run.js';
import type { ImageRecord } from '../../src/runtime/images/image-records.js';

test('importedNames: full references normalised, bare tags need a base name', () => {
  assert.deepEqual(importedNames(['busybox:1.36', 'docker.io/library/busybox:1.36', 'quay.io/x/y@sha256:' + 'a'.repeat(64)]), {
    names: ['docker.io/library/busybox:1.36', `quay.io/x/y@sha256:${'a'.repeat(64)}`],
    dropped: [],
  });
  assert.deepEqual(importedNames(['latest']), { names: [], dropped: ['latest'] });
  assert.deepEqual(importedNames(['latest', 'v1'], 'registry.local:5000/app'), { names: ['registry.local:5000/app:latest', 'registry.local:5000/app:v1'], dropped: [] });
  assert.throws(() => importedNames(['Bad/Name:1']), /invalid reference format/);
});

test('skiff images ls: crictl columns from image records', () => {
  const rec = (names: string[], id: string, size: number): ImageRecord => ({
    manifestDigest: `sha256:${'1'.repeat(64)}`,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${id.repeat(64)}`, size: 100 },
    layers: [],
    size,
    names,
    pulledAt: '2024-01-01T00:00:00Z',
  });
  const records = [
    rec(['docker.io/library/busybox:latest', `docker.io/library/busybox@sha256:${'d'.repeat(64)}`], 'b', 1054231),
    rec([], 'c', 500),
  ];
  assert.equal(
    renderImageRecords(records, {}),
    [
      'IMAGE                       TAG                 IMAGE ID            SIZE',
      'docker.io/library/busybox   latest              bbbbbbbbbbbbb       1.05MB',
      '<none>                      <none>              ccccccccccccc       500B',
      '',
    ].join('\n'),
  );
  assert.match(renderImageRecords(records, { digests: true }), /^docker\.io\/library\/busybox\s+latest\s+ddddddddddddd\s+bbbbbbbbbbbbb\s+1\.05MB$/m);
  assert.equal(renderImageRecords(records, { quiet: true }), `sha256:${'b'.repeat(64)}\nsha256:${'c'.repeat(64)}\n`);
});
