import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seriesIdentity } from '../core/labels.js';
import { SeriesCache } from './series-cache.js';

test('series ids are kept per organisation: the same identity in two organisations is two series', () => {
  const c = new SeriesCache(10);
  c.set('org-a', 'cpu', 1);
  c.set('org-b', 'cpu', 2);
  c.set('org-a', 'cpu', 1);
  assert.equal(c.get('org-a', 'cpu'), 1);
  assert.equal(c.get('org-b', 'cpu'), 2);
  assert.equal(c.get('org-c', 'cpu'), undefined);
  assert.equal(c.size, 2);
});

test('when full, the oldest half is dropped and the size stays bounded', () => {
  const c = new SeriesCache(8);
  for (let i = 0; i < 8; i++) c.set(i % 2 ? 'org-a' : 'org-b', `s${i}`, i);
  assert.equal(c.size, 8);
  c.set('org-a', 's8', 8);
  assert.equal(c.size, 5);
  assert.equal(c.get('org-a', 's8'), 8);
  // The newest entries before the drop survive; the oldest went.
  assert.equal(c.get('org-b', 's0'), undefined);
  let kept = 0;
  for (let i = 0; i < 8; i++) if (c.get(i % 2 ? 'org-a' : 'org-b', `s${i}`) !== undefined) kept++;
  assert.equal(kept, 4);
  for (let i = 9; i < 100; i++) c.set('org-c', `s${i}`, i);
  assert.ok(c.size <= 8);
  assert.equal(c.get('org-c', 's99'), 99);
});

test('look-ups by key and dimensions find what was stored by identity, in any dimension order; other series miss', () => {
  const c = new SeriesCache(100);
  c.set('org-a', seriesIdentity('cpu', {}), 1);
  c.set('org-a', seriesIdentity('cpu', { host: 'h1' }), 2);
  c.set('org-a', seriesIdentity('cpu', { host: 'h1', region: 'eu' }), 3);
  c.set('org-a', seriesIdentity('mem', { host: 'h1' }), 4);
  c.set('org-b', seriesIdentity('cpu', { host: 'h1' }), 5);
  assert.equal(c.organisation('org-c'), undefined);
  const a = c.organisation('org-a')!;
  assert.equal(a.find('cpu', {}), 1);
  assert.equal(a.find('cpu', { host: 'h1' }), 2);
  assert.equal(a.find('cpu', { region: 'eu', host: 'h1' }), 3);
  assert.equal(a.find('mem', { host: 'h1' }), 4);
  assert.equal(c.organisation('org-b')!.find('cpu', { host: 'h1' }), 5);
  for (const [key, dims] of [['cpu', { host: 'h2' }], ['cpu', { region: 'eu' }], ['mem', {}], ['disk', { host: 'h1' }], ['cpu', { host: 'h1', region: 'us' }]] as const) {
    assert.equal(a.find(key, dims), undefined, `${key} ${JSON.stringify(dims)}`);
  }
  // Name and value stay apart: {x: "y"} and {xy: ""} are two series.
  c.set('org-a', seriesIdentity('k', { x: 'y' }), 6);
  assert.equal(a.find('k', { xy: '' }), undefined);
  assert.equal(c.get('org-a', seriesIdentity('k', { x: 'y' })), 6);
  assert.equal(c.get('org-a', seriesIdentity('cpu', { region: 'eu', host: 'h1' })), 3);
  assert.equal(c.size, 6);
});

test('dropping the oldest half counts series with and without dimensions alike', () => {
  const c = new SeriesCache(6);
  for (let i = 0; i < 6; i++) c.set('org', seriesIdentity(i % 2 ? 'k' : `plain${i}`, i % 2 ? { host: `h${i}` } : {}), i);
  assert.equal(c.size, 6);
  c.set('org', seriesIdentity('k', { host: 'h6' }), 6);
  assert.equal(c.size, 4);
  assert.equal(c.organisation('org')!.find('k', { host: 'h6' }), 6);
  let kept = 0;
  for (let i = 0; i < 6; i++) if (c.get('org', seriesIdentity(i % 2 ? 'k' : `plain${i}`, i % 2 ? { host: `h${i}` } : {})) !== undefined) kept++;
  assert.equal(kept, 3);
  for (let i = 7; i < 50; i++) c.set('org', seriesIdentity('k', { host: `h${i}` }), i);
  assert.ok(c.size <= 6);
  assert.equal(c.organisation('org')!.find('k', { host: 'h49' }), 49);
});

test('a key whose first series was dropped keeps its others and takes new ones', () => {
  const c = new SeriesCache(6);
  const id = (h: number) => seriesIdentity('k', { host: `h${h}` });
  const found = () => Array.from({ length: 9 }, (_, h) => c.organisation('org')!.find('k', { host: `h${h}` }));
  for (let h = 0; h < 6; h++) c.set('org', id(h), h);
  c.set('org', id(6), 6); // full: h0, h1 and h2 go
  assert.equal(c.size, 4);
  assert.deepEqual(found(), [undefined, undefined, undefined, 3, 4, 5, 6, undefined, undefined]);
  c.set('org', id(0), 10);
  c.set('org', id(3), 13); // known: replaced, not added
  assert.equal(c.size, 5);
  assert.deepEqual(found(), [10, undefined, undefined, 13, 4, 5, 6, undefined, undefined]);
  c.set('org', id(7), 7);
  c.set('org', id(8), 8); // full again: half goes, the series in the key's first place (h6, placed there when it was empty) first, then the oldest
  assert.equal(c.size, 4);
  assert.deepEqual(found(), [10, undefined, undefined, undefined, undefined, 5, undefined, 7, 8]);
});
