import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cronScheduleError } from '../../../src/api/validation/cron.js';
import { create, defaulted, makeCronJob, makeJob, update, withEdit } from './fixtures.js';

describe('Job validation', () => {
  it('accepts a job and generates its selector', () => {
    assert.deepEqual(create(makeJob()), []);
    const job = defaulted(makeJob());
    assert.deepEqual(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-pi' } });
  });

  it('needs restartPolicy OnFailure or Never', () => {
    assert.deepEqual(create(withEdit(makeJob(), (j) => delete j.spec.template.spec.restartPolicy)), [
      'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    ]);
  });

  it('checks counts', () => {
    const errs = create(
      withEdit(makeJob(), (j) => {
        j.spec.completions = -1;
        j.spec.parallelism = -2;
        j.spec.backoffLimit = -3;
      }),
    );
    assert.deepEqual(errs, [
      'spec.parallelism: Invalid value: -2: must be greater than or equal to 0',
      'spec.completions: Invalid value: -1: must be greater than or equal to 0',
      'spec.backoffLimit: Invalid value: -3: must be greater than or equal to 0',
    ]);
  });

  it('needs completions in Indexed mode', () => {
    // With parallelism given, completions is not defaulted.
    const errs = create(
      withEdit(makeJob(), (j) => {
        j.spec.completionMode = 'Indexed';
        j.spec.parallelism = 2;
      }),
    );
    assert.deepEqual(errs, ['spec.completions: Required value: when completion mode is Indexed']);
  });

  it('checks a manual selector against the template', () => {
    const errs = create(
      withEdit(makeJob(), (j) => {
        j.spec.manualSelector = true;
        j.spec.selector = { matchLabels: { app: 'x' } };
      }),
    );
    assert.deepEqual(errs, ['spec.template.metadata.labels: Invalid value: map[string]string{}: `selector` does not match template `labels`']);
  });

  it('keeps the template immutable once running', () => {
    const stored = defaulted(makeJob());
    const errs = update(withEdit(stored, (j) => (j.spec.template.spec.containers[0].image = 'other')), stored);
    assert.equal(errs.length, 1);
    assert.match(errs[0]!, /^spec\.template: Invalid value: .*: field is immutable$/);
    assert.deepEqual(update(withEdit(stored, (j) => (j.spec.suspend = true)), stored), []);
  });
});

describe('CronJob validation', () => {
  it('accepts a cronjob', () => assert.deepEqual(create(makeCronJob()), []));

  const cases: [string, string][] = [
    ['61 * * * *', 'end of range (61) above maximum (59): 61'],
    ['* * *', 'expected exactly 5 fields, found 3: [* * *]'],
    ['@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
  ];
  for (const [schedule, msg] of cases) {
    it(`schedule ${JSON.stringify(schedule)}`, () => {
      assert.deepEqual(create(withEdit(makeCronJob(), (c) => (c.spec.schedule = schedule))), [`spec.schedule: Invalid value: ${JSON.stringify(schedule)}: ${msg}`]);
    });
  }

  it('accepts the usual forms', () => {
    for (const s of ['0 * * * *', '*/15 9-17 * * mon-fri', '0 0 1 jan,jul *', '@hourly', '@every 1h30m', '30 3 * * 0', '0 12 * * SUN']) {
      assert.equal(cronScheduleError(s), null, s);
    }
  });

  it('checks timeZone, concurrencyPolicy and history limits', () => {
    const errs = create(
      withEdit(makeCronJob(), (c) => {
        c.spec.timeZone = 'Mars/Olympus';
        c.spec.concurrencyPolicy = 'Sometimes';
        c.spec.failedJobsHistoryLimit = -1;
      }),
    );
    assert.deepEqual(errs, [
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
      'spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0',
    ]);
    assert.deepEqual(create(withEdit(makeCronJob(), (c) => (c.spec.timeZone = 'Europe/Berlin'))), []);
    assert.deepEqual(create(withEdit(makeCronJob(), (c) => (c.spec.schedule = 'TZ=UTC 0 * * * *'))), [
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
  });

  it('limits names to 52 characters and forbids job template selectors', () => {
    const errs = create(
      withEdit(makeCronJob('c'.repeat(53)), (c) => {
        c.spec.jobTemplate.spec.selector = { matchLabels: { a: 'b' } };
      }),
    );
    assert.deepEqual(errs, [
      `metadata.name: Invalid value: "${'c'.repeat(53)}": must be no more than 52 characters`,
      'spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated',
    ]);
  });
});
