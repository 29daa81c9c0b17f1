import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppError } from '../../core/errors.js';
import { groupingDefaults, parseGrouping, sameGroupBy } from './config.js';
import { groupKeyOf, groupLabelsOf } from './key.js';

const fields = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError && err.code === 'validation_failed');
    return (err.details as { field: string }[]).map((d) => d.field);
  }
  assert.fail('expected a validation error');
};

test('parseGrouping fills in Alertmanager defaults and keeps null and absence', () => {
  assert.deepEqual(parseGrouping({ groupBy: ['alertname'] }, 'slack'), { groupBy: ['alertname'], ...groupingDefaults });
  assert.deepEqual(parseGrouping({ groupBy: ['...'], groupWaitSeconds: 0, groupIntervalSeconds: 60, repeatIntervalSeconds: 3600 }, 'email'), {
    groupBy: ['...'],
    groupWaitSeconds: 0,
    groupIntervalSeconds: 60,
    repeatIntervalSeconds: 3600,
  });
  assert.equal(parseGrouping(null, 'slack'), null);
  assert.equal(parseGrouping(undefined, 'slack'), undefined);
});

test('parseGrouping names each refused part', () => {
  assert.deepEqual(fields(() => parseGrouping({ groupBy: [] }, 'slack')), ['body.grouping.groupBy']);
  assert.deepEqual(fields(() => parseGrouping({ groupBy: ['alertname', '...'] }, 'slack')), ['body.grouping.groupBy[1]']);
  assert.deepEqual(fields(() => parseGrouping({ groupBy: ['host', 'bad name', 'host'] }, 'slack')), ['body.grouping.groupBy[1]', 'body.grouping.groupBy[2]']);
  assert.deepEqual(fields(() => parseGrouping({ groupBy: ['a'], groupIntervalSeconds: 0, repeatIntervalSeconds: 1.5 }, 'slack')), ['body.grouping.groupIntervalSeconds', 'body.grouping.repeatIntervalSeconds']);
  assert.deepEqual(fields(() => parseGrouping({ groupBy: ['a'], extra: 1 }, 'slack')), ['body.grouping.extra']);
  assert.deepEqual(fields(() => parseGrouping({ groupBy: ['alertname'] }, 'alertmanager')), ['body.grouping']);
});

test('group labels are the alert labels named by groupBy (those it has), or all for "..."; keys are stable', () => {
  const labels = { alertname: 'High CPU', env: 'prod', host: 'web-1' };
  assert.deepEqual(groupLabelsOf(['env', 'alertname', 'region'], labels), { env: 'prod', alertname: 'High CPU' });
  assert.deepEqual(groupLabelsOf(['...'], labels), labels);
  assert.equal(groupKeyOf('c1', { env: 'prod', alertname: 'High CPU' }), 'c1:{alertname="High CPU",env="prod"}');
  assert.equal(groupKeyOf('c1', { a: 'x"}' }), 'c1:{a="x\\"}"}', 'values are quoted, so no value can fake another key');
  assert.equal(groupKeyOf('c1', {}), 'c1:{}');
  assert.ok(sameGroupBy({ groupBy: ['a'], ...groupingDefaults }, { groupBy: ['a'], ...groupingDefaults, groupWaitSeconds: 1 }));
  assert.ok(!sameGroupBy({ groupBy: ['a'], ...groupingDefaults }, null));
});
