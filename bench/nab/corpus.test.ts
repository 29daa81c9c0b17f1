import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultNabDir, loadCorpus, loadDetectorResults, loadProfiles, loadThresholds, resultsFilePath, writeAllDetectorResults, writeDetectorResults, type NabCorpus } from './corpus.js';
import { parseNabTimestamp } from './timestamp.js';

const tmp = mkdtempSync(join(tmpdir(), 'nab-corpus-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test("results paths follow NAB's layout", () => {
  assert.equal(resultsFilePath('/r', 'numenta', 'realKnownCause/nyc_taxi.csv'), '/r/numenta/realKnownCause/numenta_nyc_taxi.csv');
});

test('profiles.json and thresholds.json shapes are checked', () => {
  const write = (name: string, json: unknown) => {
    const p = join(tmp, name);
    writeFileSync(p, JSON.stringify(json));
    return p;
  };
  assert.deepEqual(loadProfiles(write('p.json', { a: { CostMatrix: { tpWeight: 1, fpWeight: 0.5, fnWeight: 2, tnWeight: 1 } } })), {
    a: { tpWeight: 1, fpWeight: 0.5, fnWeight: 2 },
  });
  assert.throws(() => loadProfiles(write('p.json', { a: { CostMatrix: { tpWeight: 1, fnWeight: 2 } } })), /a.CostMatrix.fpWeight: expected a number/);
  assert.throws(() => loadProfiles(write('p.json', { a: {} })), /a has no CostMatrix/);
  assert.deepEqual(loadThresholds(write('t.json', { d: { standard: { threshold: 0.5, score: -3 } } })), { d: { standard: { threshold: 0.5, score: -3 } } });
  assert.throws(() => loadThresholds(write('t.json', { d: { standard: { score: -3 } } })), /d.standard.threshold: expected a number/);
});

describe('NAB v1.1 corpus', { skip: !existsSync(defaultNabDir) && `NAB corpus not found at ${defaultNabDir}` }, () => {
  let corpus: NabCorpus;
  before(() => {
    corpus = loadCorpus();
  });

  test('holds the files, rows and windows of the README table', () => {
    const expected: Record<string, [files: number, rows: number, windows: number]> = {
      artificialNoAnomaly: [5, 20160, 0],
      artificialWithAnomaly: [6, 24192, 6],
      realAWSCloudwatch: [17, 67740, 30],
      realAdExchange: [6, 9610, 14],
      realKnownCause: [7, 69561, 19],
      realTraffic: [7, 15664, 14],
      realTweets: [10, 158631, 33],
    };
    const got: Record<string, [number, number, number]> = {};
    for (const f of corpus.files) {
      const c = (got[f.category] ??= [0, 0, 0]);
      c[0]++;
      c[1] += f.rows;
      c[2] += f.windows.length;
    }
    assert.deepEqual(got, expected);
    assert.equal(corpus.byName.get('realKnownCause/nyc_taxi.csv')?.rows, 10320);
  });

  test('every window limit is the time of the row it maps to', () => {
    for (const f of corpus.files) {
      assert.equal(f.epochMs.length, f.rows);
      assert.equal(f.values.length, f.rows);
      for (const w of f.windows) {
        assert.equal(f.epochMs[w.start], parseNabTimestamp(w.startTime), `${f.name} ${w.startTime}`);
        assert.equal(f.epochMs[w.end], parseNabTimestamp(w.endTime), `${f.name} ${w.endTime}`);
      }
    }
  });

  test('results written in NAB format read back exactly', () => {
    const files = corpus.files.filter((f) => f.name === 'realKnownCause/nyc_taxi.csv' || f.name === 'artificialNoAnomaly/art_flatline.csv');
    const part: NabCorpus = { dir: corpus.dir, files, byName: new Map(files.map((f) => [f.name, f])) };
    const scores = new Map(files.map((f) => [f.name, Float64Array.from({ length: f.rows }, (_, i) => (i % 7) / 6 / 3)]));
    writeAllDetectorResults(tmp, 'mine', part, scores);
    assert.deepEqual(loadDetectorResults(tmp, 'mine', part), scores);
    const lines = readFileSync(join(tmp, 'mine', 'realKnownCause', 'mine_nyc_taxi.csv'), 'utf8').split('\n');
    assert.equal(lines[0], 'timestamp,value,anomaly_score,label');
    assert.equal(lines[1], '2014-07-01 00:00:00,10844,0.0,0');
    assert.equal(lines[2], '2014-07-01 00:30:00,8127,0.05555555555555555,0');
    const nyc = corpus.byName.get('realKnownCause/nyc_taxi.csv')!;
    const labelled = lines.slice(1, -1).filter((l) => l.endsWith(',1')).length;
    assert.equal(labelled, nyc.windows.reduce((n, w) => n + w.end - w.start + 1, 0));
  });

  test('results that do not fit the data are refused', () => {
    const file = corpus.byName.get('artificialNoAnomaly/art_flatline.csv')!;
    const part: NabCorpus = { dir: corpus.dir, files: [file], byName: new Map([[file.name, file]]) };
    const path = writeDetectorResults(tmp, 'bad', file, new Float64Array(file.rows));
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace(/^(\S+ \S+,[^,]+),0\.0,/m, '$1,1.5,'));
    assert.throws(() => loadDetectorResults(tmp, 'bad', part), /bad_art_flatline.csv:2: anomaly_score 1.5 is outside \[0, 1\]/);
    writeFileSync(path, text.replace(file.timestamps[3]!, '1999-01-01 00:00:00'));
    assert.throws(() => loadDetectorResults(tmp, 'bad', part), /:5: timestamp 1999-01-01 00:00:00 is not the data file's/);
    writeFileSync(path, text.split('\n').slice(0, -2).join('\n'));
    assert.throws(() => loadDetectorResults(tmp, 'bad', part), /rows, the data file has/);
    assert.throws(() => writeDetectorResults(tmp, 'bad', file, new Float64Array(3)), /3 scores for/);
  });
});
