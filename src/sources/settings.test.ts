import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkDimensions, checkSettings, mergePatch, targetUrlProblem } from './settings.js';

test('scrape settings: defaults filled in, the timeout capped by the interval', () => {
  const targets = [{ url: 'http://127.0.0.1:9100/metrics' }];
  const table: [Record<string, unknown>, Record<string, unknown>][] = [
    [{ targets }, { targets, intervalSeconds: 60, timeoutSeconds: 10 }],
    [{ targets, intervalSeconds: 5 }, { targets, intervalSeconds: 5, timeoutSeconds: 5 }],
    [{ targets, intervalSeconds: 3600, timeoutSeconds: 3600, job: 'node' }, { targets, intervalSeconds: 3600, timeoutSeconds: 3600, job: 'node' }],
    [{ targets: [{ url: 'https://x.test/m', labels: { env: 'prod' } }] }, { targets: [{ url: 'https://x.test/m', labels: { env: 'prod' } }], intervalSeconds: 60, timeoutSeconds: 10 }],
    [{ targets: [] }, { targets: [], intervalSeconds: 60, timeoutSeconds: 10 }],
  ];
  for (const [raw, want] of table) {
    const r = checkSettings('prometheus-scrape', raw);
    assert.deepEqual(r.problems, [], JSON.stringify(raw));
    assert.deepEqual(r.settings, want);
  }
});

test('scrape settings: every problem with its path', () => {
  const r = checkSettings('prometheus-scrape', { targets: [{ url: 'ftp://a' }, { url: 'http://a/m', labels: { '9': 'x' } }, 'x'], intervalSeconds: 1, timeoutSeconds: 'ten', extra: true });
  assert.deepEqual(
    r.problems.map((p) => p.path),
    ['settings.extra', 'settings.targets[0].url', 'settings.targets[1].labels.9', 'settings.targets[2]', 'settings.intervalSeconds', 'settings.timeoutSeconds'],
  );
  assert.deepEqual(checkSettings('prometheus-scrape', null).problems, [{ path: 'settings', message: 'must be an object' }]);
  assert.deepEqual(checkSettings('webhook', {}), { settings: {}, problems: [] });
  assert.equal(checkSettings('otlp', { targets: [] }).problems[0]!.path, 'settings.targets');
});

test('target URLs: absolute http(s), no credentials, bounded', () => {
  assert.equal(targetUrlProblem('http://127.0.0.1:9100/metrics'), null);
  assert.equal(targetUrlProblem('https://[::1]/metrics?x=1'), null);
  assert.match(targetUrlProblem('file:///etc/passwd')!, /http or https/);
  assert.match(targetUrlProblem('127.0.0.1:9100')!, /http or https|absolute/);
  assert.match(targetUrlProblem('https://user:pw@h/m')!, /credentials/);
  assert.match(targetUrlProblem(`http://h/${'a'.repeat(2048)}`)!, /at most 2048/);
  assert.match(targetUrlProblem(7)!, /string/);
});

test('dimensions: names, values, count, NUL', () => {
  assert.deepEqual(checkDimensions({ a: 'x', _b: '' }, 'd'), []);
  assert.deepEqual(
    checkDimensions({ 'bad name': 'x', n: 1, long: 'x'.repeat(257), nul: 'a\u0000' }, 'd').map((p) => p.path),
    ['d.bad name', 'd.n', 'd.long', 'd.nul'],
  );
  assert.equal(checkDimensions(Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])), 'd')[0]!.path, 'd');
  assert.deepEqual(checkDimensions([], 'd').map((p) => p.path), ['d']);
});

test('merge patch (RFC 7386): members replace, null removes, objects merge, arrays replace; the target is not modified', () => {
  const target = { a: 1, b: { c: 2, d: 3 }, list: [1, 2] };
  const out = mergePatch(target, { a: null, b: { c: null, e: 4 }, list: [3], n: 'x' });
  assert.deepEqual(out, { b: { d: 3, e: 4 }, list: [3], n: 'x' });
  assert.deepEqual(target, { a: 1, b: { c: 2, d: 3 }, list: [1, 2] });
  assert.deepEqual(mergePatch({ a: 1 }, 'x'), 'x');
  const proto = mergePatch({}, JSON.parse('{"__proto__":"v"}')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.keys(proto), ['__proto__']);
});
