// The real kubectl (1.33 and 1.27) against a real `skiff server` process: the commands a
// Kubernetes user types every day, with their output checked. Registered once per datastore.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { SkiffServer } from '../helpers/skiff.js';

export function kubectlSuite(label: string, kubectlVersion: string, start: () => Promise<{ server: SkiffServer; stop: () => Promise<void> }>): void {
  describe(`kubectl ${kubectlVersion} against skiff (${label})`, { concurrency: 1 }, () => {
    let server: SkiffServer;
    let stop: () => Promise<void>;
    const ns = `it-${Date.now().toString(36)}`;

    const k = async (args: string[], opts: { input?: string; version?: string; env?: Record<string, string> } = {}) => {
      const r = await server.kubectl(args, { version: kubectlVersion, ...opts });
      if (r.code !== 0) assert.fail(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
      return r.stdout;
    };

    before(async () => {
      ({ server, stop } = await start());
      await k(['create', 'namespace', ns]);
    });
    after(async () => {
      await stop?.();
    });

    it('lists api-resources and api-versions like a real cluster', async () => {
      for (const version of ['1.33', '1.27']) {
        const out = await k(['api-resources'], { version });
        assert.match(out, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/m);
        assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
        assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
        assert.match(out, /^leases\s+coordination\.k8s\.io\/v1\s+true\s+Lease$/m);
      }
      const versions = await k(['api-versions']);
      for (const gv of ['v1', 'apps/v1', 'batch/v1', 'rbac.authorization.k8s.io/v1', 'discovery.k8s.io/v1']) assert.ok(versions.split('\n').includes(gv), gv);
    });

    it('applies a multi-document YAML and gets it back in every output format', async () => {
      const yaml = `apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  labels: {app: web, tier: frontend}
data:
  greeting: hello
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: busybox:1.36
        ports:
        - containerPort: 8080
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - port: 80
    targetPort: 8080
`;
      const out = await k(['apply', '-n', ns, '-f', '-'], { input: yaml });
      assert.match(out, /configmap\/app-config created/);
      assert.match(out, /deployment\.apps\/web created/);
      assert.match(out, /service\/web created/);
      const again = await k(['apply', '-n', ns, '-f', '-'], { input: yaml });
      assert.match(again, /configmap\/app-config unchanged/);

      const table = await k(['get', 'configmaps', '-n', ns]);
      assert.match(table, /^NAME\s+DATA\s+AGE$/m);
      assert.match(table, /^app-config\s+1\s+\S+$/m);
      const wide = await k(['get', 'deploy', 'web', '-n', ns, '-o', 'wide']);
      assert.match(wide, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
      // UP-TO-DATE counts the pods the Deployment controller has created by now.
      assert.match(wide, /^web\s+0\/2\s+\d+\s+0\s+\S+\s+web\s+busybox:1\.36\s+app=web$/m);
      const svc = await k(['get', 'svc', 'web', '-n', ns]);
      assert.match(svc, /^web\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP\s+\S+$/m);

      const y = await k(['get', 'cm', 'app-config', '-n', ns, '-o', 'yaml']);
      assert.match(y, /greeting: hello/);
      assert.match(y, /resourceVersion: "\d+"/);
      assert.match(y, /uid: [0-9a-f-]{36}/);
      const j = JSON.parse(await k(['get', 'deploy', 'web', '-n', ns, '-o', 'json'])) as { spec: { strategy: { type: string }; template: { spec: { containers: { imagePullPolicy: string }[] } } }; metadata: { generation: number } };
      assert.equal(j.spec.strategy.type, 'RollingUpdate', 'defaults applied');
      assert.equal(j.spec.template.spec.containers[0]!.imagePullPolicy, 'IfNotPresent');
      assert.equal(j.metadata.generation, 1);
      assert.equal(await k(['get', 'cm', 'app-config', '-n', ns, '-o', 'jsonpath={.data.greeting}']), 'hello');
      assert.equal((await k(['get', 'cm', '-n', ns, '-o', 'name'])).trim().split('\n').includes('configmap/app-config'), true);
    });

    it('selects by label and field, across namespaces', async () => {
      await k(['create', 'configmap', 'sel-a', '-n', ns, '--from-literal=k=v']);
      await k(['label', 'configmap', 'sel-a', '-n', ns, 'color=blue']);
      await k(['create', 'configmap', 'sel-b', '-n', ns, '--from-literal=k=v']);
      const byLabel = await k(['get', 'cm', '-n', ns, '-l', 'color=blue', '-o', 'name']);
      assert.deepEqual(byLabel.trim().split('\n'), ['configmap/sel-a']);
      const notIn = await k(['get', 'cm', '-n', ns, '-l', 'color notin (blue)', '-o', 'name']);
      assert.ok(!notIn.includes('sel-a') && notIn.includes('sel-b'));
      const byField = await k(['get', 'cm', '-n', ns, '--field-selector', 'metadata.name=sel-b', '-o', 'name']);
      assert.deepEqual(byField.trim().split('\n'), ['configmap/sel-b']);
      const all = await k(['get', 'cm', '-A']);
      assert.match(all, /^NAMESPACE\s+NAME\s+DATA\s+AGE$/m);
      assert.match(all, new RegExp(`^${ns}\\s+sel-a\\s+1`, 'm'));
      const bad = await server.kubectl(['get', 'pods', '-n', ns, '--field-selector', 'spec.bogus=x'], { version: kubectlVersion });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /field label not supported: spec\.bogus/);
    });

    it('labels, annotates and patches with all three patch types', async () => {
      await k(['create', 'configmap', 'p1', '-n', ns, '--from-literal=a=1']);
      await k(['annotate', 'cm', 'p1', '-n', ns, 'note=first']);
      await k(['patch', 'cm', 'p1', '-n', ns, '--type=merge', '-p', '{"data":{"b":"2"}}']);
      await k(['patch', 'cm', 'p1', '-n', ns, '--type=json', '-p', '[{"op":"replace","path":"/data/a","value":"10"}]']);
      await k(['patch', 'deploy', 'web', '-n', ns, '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"busybox:1.37"}]}}}}']);
      const cm = JSON.parse(await k(['get', 'cm', 'p1', '-n', ns, '-o', 'json'])) as { data: Record<string, string>; metadata: { annotations: Record<string, string> } };
      assert.deepEqual(cm.data, { a: '10', b: '2' });
      assert.equal(cm.metadata.annotations.note, 'first');
      const d = JSON.parse(await k(['get', 'deploy', 'web', '-n', ns, '-o', 'json'])) as { spec: { template: { spec: { containers: { name: string; image: string; ports: unknown[] }[] } } }; metadata: { generation: number } };
      assert.equal(d.spec.template.spec.containers.length, 1, 'strategic merge keeps one container by name');
      assert.equal(d.spec.template.spec.containers[0]!.image, 'busybox:1.37');
      assert.equal(d.spec.template.spec.containers[0]!.ports.length, 1, 'strategic merge keeps the ports');
      assert.equal(d.metadata.generation, 2, 'spec change bumps generation');
      const failed = await server.kubectl(['patch', 'cm', 'p1', '-n', ns, '--type=json', '-p', '[{"op":"test","path":"/data/a","value":"nope"}]'], { version: kubectlVersion });
      assert.notEqual(failed.code, 0);
    });

    it('edits with a scripted editor and scales', async () => {
      const editor = join(server.dataDir, 'editor.sh');
      writeFileSync(editor, `#!/bin/sh\nsed -i 's/greeting: hello/greeting: edited/' "$1"\n`);
      chmodSync(editor, 0o755);
      await k(['edit', 'cm', 'app-config', '-n', ns], { env: { KUBE_EDITOR: editor } });
      assert.equal(await k(['get', 'cm', 'app-config', '-n', ns, '-o', 'jsonpath={.data.greeting}']), 'edited');
      const out = await k(['scale', 'deploy', 'web', '-n', ns, '--replicas=5']);
      assert.match(out, /deployment\.apps\/web scaled/);
      assert.equal(await k(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}']), '5');
    });

    it('describes objects', async () => {
      const out = await k(['describe', 'deploy', 'web', '-n', ns]);
      assert.match(out, /^Name:\s+web$/m);
      assert.match(out, new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
      assert.match(out, /^Replicas:\s+5 desired/m);
      assert.match(out, /StrategyType:\s+RollingUpdate/);
      const svc = await k(['describe', 'svc', 'web', '-n', ns]);
      assert.match(svc, /^Type:\s+ClusterIP$/m);
      assert.match(svc, /^Port:\s+<unset>\s+80\/TCP$/m);
    });

    it('explains fields from the OpenAPI schema', async () => {
      for (const version of ['1.33', '1.27']) {
        const out = await k(['explain', 'pod.spec.containers'], { version });
        assert.match(out, /KIND:\s+Pod/);
        assert.match(out, /FIELD:\s+containers/);
        assert.match(out, /image\s+<string>/);
      }
    });

    it('dry-runs on the server and diffs', async () => {
      const dry = await k(['create', 'configmap', 'dry', '-n', ns, '--from-literal=a=1', '--dry-run=server']);
      assert.match(dry, /configmap\/dry created \(server dry run\)/);
      const r = await server.kubectl(['get', 'cm', 'dry', '-n', ns], { version: kubectlVersion });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /configmaps "dry" not found/);
      const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n  namespace: ${ns}\ndata:\n  greeting: diffed\n`;
      const diff = await server.kubectl(['diff', '-f', '-'], { version: kubectlVersion, input: manifest });
      assert.equal(diff.code, 1, `diff exits 1 when there are differences: ${diff.stderr}`);
      assert.match(diff.stdout, /-\s+greeting: edited/);
      assert.match(diff.stdout, /\+\s+greeting: diffed/);
      const applied = await k(['apply', '--dry-run=server', '-f', '-'], { input: manifest });
      assert.match(applied, /configmap\/app-config configured \(server dry run\)/);
      assert.equal(await k(['get', 'cm', 'app-config', '-n', ns, '-o', 'jsonpath={.data.greeting}']), 'edited');
    });

    it('reports invalid objects with field causes', async () => {
      const r = await server.kubectl(['apply', '-n', ns, '-f', '-'], {
        version: kubectlVersion,
        input: 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad_Name\nspec:\n  containers:\n  - name: c\n',
      });
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /is invalid/);
      assert.match(r.stderr, /metadata\.name: Invalid value: "Bad_Name"/);
      assert.match(r.stderr, /spec\.containers\[0\]\.image: Required value/);
      const typo = await server.kubectl(['apply', '-n', ns, '-f', '-'], {
        version: kubectlVersion,
        input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: typo\ndatta:\n  a: b\n',
      });
      assert.notEqual(typo.code, 0);
      assert.match(typo.stderr, /unknown field "datta"/);
    });

    it('watches changes with get -w', async () => {
      const child = server.kubectl(['get', 'cm', '-n', ns, '-w', '--request-timeout=8s', '-l', 'watch=me'], { version: kubectlVersion });
      await new Promise((r) => setTimeout(r, 1500));
      await k(['create', 'configmap', 'watched', '-n', ns, '--from-literal=x=y']);
      await k(['label', 'cm', 'watched', '-n', ns, 'watch=me']);
      const r = await child;
      assert.match(r.stdout, /watched\s+1\s+\S+/);
    });

    it('deletes with --wait, and pods that never ran go at once', async () => {
      await k(['create', 'configmap', 'gone', '-n', ns, '--from-literal=a=1']);
      const out = await k(['delete', 'cm', 'gone', '-n', ns, '--wait']);
      assert.match(out, /configmap "gone" deleted/);
      await k(['run', 'unscheduled', '-n', ns, '--image=busybox', '--restart=Never']);
      const pods = await k(['get', 'pods', '-n', ns]);
      assert.match(pods, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
      assert.match(pods, /^unscheduled\s+0\/1\s+Pending\s+0\s+\S+$/m);
      const del = await k(['delete', 'pod', 'unscheduled', '-n', ns, '--wait']);
      assert.match(del, /pod "unscheduled" deleted/);
      const missing = await server.kubectl(['delete', 'cm', 'never-was', '-n', ns], { version: kubectlVersion });
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /configmaps "never-was" not found/);
    });

    it('deletes a namespace with everything in it', async () => {
      const doomed = `${ns}-doomed`;
      await k(['create', 'namespace', doomed]);
      await k(['create', 'configmap', 'inside', '-n', doomed, '--from-literal=a=1']);
      await k(['create', 'deployment', 'inside', '-n', doomed, '--image=busybox']);
      const out = await k(['delete', 'namespace', doomed, '--wait', '--timeout=30s']);
      assert.match(out, new RegExp(`namespace "${doomed}" deleted`));
      const gone = await server.kubectl(['get', 'namespace', doomed], { version: kubectlVersion });
      assert.match(gone.stderr, new RegExp(`namespaces "${doomed}" not found`));
      const leftovers = await k(['get', 'cm,deploy', '-A', '-o', 'name', '--field-selector', `metadata.namespace=${doomed}`]);
      assert.equal(leftovers.trim(), '');
      const protectedNs = await server.kubectl(['delete', 'namespace', 'kube-system'], { version: kubectlVersion });
      assert.notEqual(protectedNs.code, 0);
      assert.match(protectedNs.stderr, /this namespace may not be deleted/);
    });
  });
}
