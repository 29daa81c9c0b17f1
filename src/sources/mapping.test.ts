import assert from 'node:assert/strict';
import { test } from 'node:test';
import { performance } from 'node:perf_hooks';
import type { Labels } from '../core/labels.js';
import { checkMappingRules, compileMapping, maxMappingRules, parseTemplate, type MappedSeries } from './mapping.js';
import type { MappingRule } from './source.js';

type Case = [name: string, rules: MappingRule[], key: string, dims: Labels, want: MappedSeries | null];

/** Runs each case and checks that the input dimensions were left as they were. */
function runTable(cases: Case[]): void {
  for (const [name, rules, key, dims, want] of cases) {
    assert.deepEqual(checkMappingRules(rules), [], `${name}: the rules are valid`);
    const before = JSON.stringify(dims);
    const got = compileMapping(rules)(key, dims);
    assert.deepEqual(got, want, name);
    assert.equal(JSON.stringify(dims), before, `${name}: the input is not modified`);
  }
}

test('rename: exact key, pattern with numbered and named groups, Go expansion', () => {
  runTable([
    ['exact key', [{ action: 'rename', key: 'cpu', to: 'cpu.usage' }], 'cpu', { h: 'a' }, { key: 'cpu.usage', dimensions: { h: 'a' } }],
    ['exact key: another key passes', [{ action: 'rename', key: 'cpu', to: 'cpu.usage' }], 'cpu2', {}, { key: 'cpu2', dimensions: {} }],
    ['pattern, $1', [{ action: 'rename', pattern: 'node_(.*)_bytes', to: 'node.$1' }], 'node_memory_bytes', {}, { key: 'node.memory', dimensions: {} }],
    ['pattern anchored at the start', [{ action: 'rename', pattern: 'node_(.*)', to: 'n.$1' }], 'xnode_a', {}, { key: 'xnode_a', dimensions: {} }],
    ['pattern anchored at the end', [{ action: 'rename', pattern: 'node', to: 'n' }], 'node_a', {}, { key: 'node_a', dimensions: {} }],
    ['${1} before a name character', [{ action: 'rename', pattern: '(.*)_seconds', to: '${1}_ms' }], 'lat_seconds', {}, { key: 'lat_ms', dimensions: {} }],
    ['${name}', [{ action: 'rename', pattern: '(?P<sub>[a-z]+)\\.(?P<what>[a-z]+)', to: '${what}.${sub}' }], 'disk.free', {}, { key: 'free.disk', dimensions: {} }],
    ['$name, (?<name>) syntax', [{ action: 'rename', pattern: 'x_(?<rest>.+)', to: 'y.$rest' }], 'x_ab', {}, { key: 'y.ab', dimensions: {} }],
    ['$0 is the whole key', [{ action: 'rename', pattern: '[a-z]+', to: 'app.$0' }], 'hits', {}, { key: 'app.hits', dimensions: {} }],
    ['$$ is a literal $ (then invalid: left for validation)', [{ action: 'rename', pattern: '(a)', to: 'b$1$$' }], 'a', {}, { key: 'ba$', dimensions: {} }],
    ['an unmatched optional group expands to nothing', [{ action: 'rename', pattern: 'req(_total)?', to: 'requests$1' }], 'req', {}, { key: 'requests', dimensions: {} }],
    ['leftmost-first alternation inside the anchors', [{ action: 'rename', pattern: '(a|ab)(c?)', to: '$1.$2' }], 'abc', {}, { key: 'ab.c', dimensions: {} }],
    ['an empty result is left for validation', [{ action: 'rename', pattern: 'x(.*)', to: '$1' }], 'x', {}, { key: '', dimensions: {} }],
    ['unicode groups', [{ action: 'rename', pattern: '(\\p{L}+)_x', to: 'k.$1' }], 'größe_x', {}, { key: 'k.größe', dimensions: {} }],
  ]);
});

test('prefix, drop and keep', () => {
  runTable([
    ['prefix every key', [{ action: 'prefix', prefix: 'team_a.' }], 'cpu', {}, { key: 'team_a.cpu', dimensions: {} }],
    ['prefix matching keys only', [{ action: 'prefix', prefix: 'sys.', pattern: 'cpu.*' }], 'mem', {}, { key: 'mem', dimensions: {} }],
    ['prefix matching keys only (hit)', [{ action: 'prefix', prefix: 'sys.', pattern: 'cpu.*' }], 'cpu_user', {}, { key: 'sys.cpu_user', dimensions: {} }],
    ['drop by key', [{ action: 'drop', pattern: 'go_.*' }], 'go_gc_duration', {}, null],
    ['drop by key: others pass', [{ action: 'drop', pattern: 'go_.*' }], 'http_requests', {}, { key: 'http_requests', dimensions: {} }],
    ['drop by dimension value', [{ action: 'drop', dimension: 'env', valuePattern: 'dev|test' }], 'a', { env: 'dev' }, null],
    ['drop by dimension value: others pass', [{ action: 'drop', dimension: 'env', valuePattern: 'dev|test' }], 'a', { env: 'prod' }, { key: 'a', dimensions: { env: 'prod' } }],
    ['drop by key and dimension: both must match', [{ action: 'drop', pattern: 'a', dimension: 'env', valuePattern: 'dev' }], 'b', { env: 'dev' }, { key: 'b', dimensions: { env: 'dev' } }],
    ['drop points having a dimension (no value pattern)', [{ action: 'drop', dimension: 'debug' }], 'a', { debug: '1' }, null],
    ['drop points having a dimension: without it they pass', [{ action: 'drop', dimension: 'debug' }], 'a', {}, { key: 'a', dimensions: {} }],
    ['a missing dimension reads as empty', [{ action: 'drop', dimension: 'env', valuePattern: '' }], 'a', {}, null],
    ['keep by key', [{ action: 'keep', pattern: 'http_.*' }], 'go_x', {}, null],
    ['keep by key (hit)', [{ action: 'keep', pattern: 'http_.*' }], 'http_x', { a: '1' }, { key: 'http_x', dimensions: { a: '1' } }],
    ['keep by dimension', [{ action: 'keep', dimension: 'region', valuePattern: 'eu-.*' }], 'a', { region: 'us-1' }, null],
    ['keep by dimension (hit)', [{ action: 'keep', dimension: 'region', valuePattern: 'eu-.*' }], 'a', { region: 'eu-1' }, { key: 'a', dimensions: { region: 'eu-1' } }],
  ]);
});

test('replace: __name__ is the key, so a dimension becomes part of the key and back', () => {
  runTable([
    [
      'dimension into the key',
      [{ action: 'replace', sourceLabels: ['__name__', 'host'], separator: '.', regex: '(.*)\\.(.+)', targetLabel: '__name__', replacement: '${2}.$1' }],
      'cpu',
      { host: 'web1' },
      { key: 'web1.cpu', dimensions: { host: 'web1' } },
    ],
    [
      'key part into a dimension, then out of the key',
      [
        { action: 'replace', sourceLabels: ['__name__'], regex: '(web\\d+)\\.(.+)', targetLabel: 'host', replacement: '$1' },
        { action: 'replace', sourceLabels: ['__name__'], regex: 'web\\d+\\.(.+)', targetLabel: '__name__' },
      ],
      'web7.cpu',
      {},
      { key: 'cpu', dimensions: { host: 'web7' } },
    ],
    ['defaults: regex (.*), replacement $1, copies a dimension', [{ action: 'replace', sourceLabels: ['instance'], targetLabel: 'host' }], 'up', { instance: 'a:9100' }, { key: 'up', dimensions: { instance: 'a:9100', host: 'a:9100' } }],
    ['default separator ;', [{ action: 'replace', sourceLabels: ['a', 'b'], targetLabel: 'ab' }], 'k', { a: '1', b: '2' }, { key: 'k', dimensions: { a: '1', b: '2', ab: '1;2' } }],
    ['missing source labels read as empty', [{ action: 'replace', sourceLabels: ['a', 'b'], separator: '-', targetLabel: 'ab' }], 'k', { b: '2' }, { key: 'k', dimensions: { b: '2', ab: '-2' } }],
    ['no match: nothing changes', [{ action: 'replace', sourceLabels: ['instance'], regex: '(.*):9100', targetLabel: 'host' }], 'up', { instance: 'a:80' }, { key: 'up', dimensions: { instance: 'a:80' } }],
    ['an empty result removes the dimension', [{ action: 'replace', sourceLabels: ['x'], regex: '.*', targetLabel: 'env', replacement: '' }], 'k', { env: 'dev', x: '1' }, { key: 'k', dimensions: { x: '1' } }],
    ['an empty expansion removes the dimension', [{ action: 'replace', sourceLabels: ['missing'], targetLabel: 'env' }], 'k', { env: 'dev' }, { key: 'k', dimensions: {} }],
    ['an empty result never removes the key', [{ action: 'replace', sourceLabels: ['missing'], targetLabel: '__name__' }], 'k', { a: '1' }, { key: 'k', dimensions: { a: '1' } }],
    ['overwrites an existing dimension', [{ action: 'replace', sourceLabels: ['__name__'], regex: '([a-z]+)_.*', targetLabel: 'family' }], 'http_x', { family: 'old' }, { key: 'http_x', dimensions: { family: 'http' } }],
    ['literal replacement', [{ action: 'replace', sourceLabels: ['__name__'], regex: 'node_.*', targetLabel: 'exporter', replacement: 'node' }], 'node_load1', {}, { key: 'node_load1', dimensions: { exporter: 'node' } }],
  ]);
});

test('labelmap, labeldrop, labelkeep work on dimensions only', () => {
  runTable([
    ['labelmap copies with the default $1 (the original stays, as in Prometheus)', [{ action: 'labelmap', regex: 'tag_(.+)' }], 'k', { tag_env: 'p', host: 'h' }, { key: 'k', dimensions: { tag_env: 'p', host: 'h', env: 'p' } }],
    ['labelmap with a replacement', [{ action: 'labelmap', regex: '(.+)_label', replacement: 'l_$1' }], 'k', { a_label: '1' }, { key: 'k', dimensions: { a_label: '1', l_a: '1' } }],
    ['labelmap overwrites an existing name', [{ action: 'labelmap', regex: 'new_(.+)' }], 'k', { env: 'old', new_env: 'new' }, { key: 'k', dimensions: { env: 'new', new_env: 'new' } }],
    ['labelmap never touches the key', [{ action: 'labelmap', regex: '(.*)', replacement: 'x_$1' }], 'cpu', {}, { key: 'cpu', dimensions: {} }],
    ['labeldrop', [{ action: 'labeldrop', regex: 'pod|container_.*' }], 'k', { pod: 'p', container_id: 'c', ns: 'n' }, { key: 'k', dimensions: { ns: 'n' } }],
    ['labelkeep', [{ action: 'labelkeep', regex: 'host|env' }], 'k', { host: 'h', env: 'e', pid: '1' }, { key: 'k', dimensions: { host: 'h', env: 'e' } }],
    ['labeldrop of __name__ leaves the key', [{ action: 'labeldrop', regex: '__name__' }], 'k', { a: '1' }, { key: 'k', dimensions: { a: '1' } }],
  ]);
});

test('rules apply in order, each seeing the previous ones\' result', () => {
  const rename = { action: 'rename', pattern: 'cpu_(.*)', to: 'cpu.$1' } as const;
  const prefix = { action: 'prefix', prefix: 'sys.', pattern: 'cpu\\..*' } as const;
  runTable([
    ['rename then prefix (the prefix sees the new key)', [rename, prefix], 'cpu_user', {}, { key: 'sys.cpu.user', dimensions: {} }],
    ['prefix then rename (the prefix sees the old key: no match)', [prefix, rename], 'cpu_user', {}, { key: 'cpu.user', dimensions: {} }],
    [
      'labelmap then labeldrop of the originals and of one mapped name (the Prometheus idiom for a rename)',
      [
        { action: 'labelmap', regex: 'x_(.*)' },
        { action: 'labeldrop', regex: 'x_.*|a' },
      ],
      'k',
      { x_a: '1', x_b: '2' },
      { key: 'k', dimensions: { b: '2' } },
    ],
    [
      'a drop after a rename matches the new key',
      [
        { action: 'rename', key: 'tmp', to: 'scratch' },
        { action: 'drop', pattern: 'scratch' },
      ],
      'tmp',
      {},
      null,
    ],
    [
      'a replace reads a dimension set by the rule before',
      [
        { action: 'replace', sourceLabels: ['instance'], regex: '([^:]+):.*', targetLabel: 'host' },
        { action: 'replace', sourceLabels: ['host', '__name__'], separator: '.', targetLabel: '__name__' },
        { action: 'labeldrop', regex: 'instance' },
      ],
      'up',
      { instance: 'db1:9100' },
      { key: 'db1.up', dimensions: { host: 'db1' } },
    ],
  ]);
});

test('__proto__ and other Object.prototype names are plain dimensions', () => {
  const dims = JSON.parse('{"__proto__":"p","constructor":"c","env":"e"}') as Labels;
  assert.equal(Object.getPrototypeOf(dims), Object.prototype);
  const cases: [MappingRule[], Labels][] = [
    [[{ action: 'labeldrop', regex: 'env' }], JSON.parse('{"__proto__":"p","constructor":"c"}')],
    [[{ action: 'replace', sourceLabels: ['__proto__'], targetLabel: 'copy' }], JSON.parse('{"__proto__":"p","constructor":"c","env":"e","copy":"p"}')],
    [[{ action: 'labelmap', regex: '__(proto)__' }], JSON.parse('{"__proto__":"p","constructor":"c","env":"e","proto":"p"}')],
    [[{ action: 'replace', sourceLabels: ['env'], targetLabel: '__proto__', replacement: 'x$1' }], JSON.parse('{"__proto__":"xe","constructor":"c","env":"e"}')],
  ];
  for (const [rules, want] of cases) {
    assert.deepEqual(checkMappingRules(rules), []);
    const got = compileMapping(rules)('k', dims)!;
    assert.deepEqual(got.dimensions, want, JSON.stringify(rules));
    assert.equal(Object.getPrototypeOf(got.dimensions), Object.prototype, 'the prototype is never replaced');
    assert.deepEqual(JSON.parse(JSON.stringify(got.dimensions)), JSON.parse(JSON.stringify(want)));
  }
  // A prototype's property is not a dimension: `toString` is missing, hence empty.
  assert.equal(compileMapping([{ action: 'drop', dimension: 'toString' }])('k', {}) !== null, true);
  assert.equal(JSON.stringify(dims), '{"__proto__":"p","constructor":"c","env":"e"}');
});

test('no rules, and rules that change nothing, return the input untouched', () => {
  const dims = Object.freeze({ a: '1' });
  assert.deepEqual(compileMapping([])('k', dims), { key: 'k', dimensions: { a: '1' } });
  // Frozen input: any write to it would throw in strict mode and be caught as a failed mapping.
  const r = compileMapping([
    { action: 'replace', sourceLabels: ['a'], targetLabel: 'b' },
    { action: 'labeldrop', regex: 'a' },
    { action: 'labelmap', regex: 'b', replacement: 'c' },
  ])('k', dims);
  assert.deepEqual(r, { key: 'k', dimensions: { b: '1', c: '1' } });
  assert.deepEqual(dims, { a: '1' });
});

test('replacement templates read as Go reads them', () => {
  const table: [string, unknown[]][] = [
    ['a$1b', [{ text: 'a' }, { ref: '1b' }]],
    ['a${1}b', [{ text: 'a' }, { ref: '1' }, { text: 'b' }]],
    ['$$1', [{ text: '$1' }]],
    ['x$', [{ text: 'x$' }]],
    ['${1', [{ text: '${1' }]],
    ['$-', [{ text: '$-' }]],
    ['${na_me}.$ü', [{ ref: 'na_me' }, { text: '.' }, { ref: 'ü' }]],
  ];
  for (const [template, want] of table) assert.deepEqual(parseTemplate(template), want, template);
  // `$1b` names group "1b", which does not exist: Go (and Prometheus) expand it to nothing.
  assert.deepEqual(compileMapping([{ action: 'rename', pattern: '(a)', to: 'x$1b' }])('a', {}), { key: 'x', dimensions: {} });
});

test('checkMappingRules names each problem with its path', () => {
  const table: [unknown, [string, RegExp][]][] = [
    ['not an array', [['mapping', /array/]]],
    [Array.from({ length: maxMappingRules + 1 }, () => ({ action: 'labeldrop', regex: 'a' })), [['mapping', /at most 64/]]],
    [[null], [['mapping[0]', /object/]]],
    [[{ action: 'explode' }], [['mapping[0].action', /one of rename, prefix/]]],
    [[{ action: 'labeldrop', regex: 'a', extra: 1 }], [['mapping[0].extra', /not a field of a labeldrop rule/]]],
    [[{ action: 'labeldrop', regex: 'ok' }, { action: 'labelkeep', regex: '(a' }], [['mapping[1].regex', /not a valid RE2 pattern: missing closing \)/]]],
    [[{ action: 'labeldrop', regex: '(a)\\1' }], [['mapping[0].regex', /backreferences are not supported/]]],
    [[{ action: 'labeldrop', regex: '(?=a)' }], [['mapping[0].regex', /not a valid RE2 pattern/]]],
    [[{ action: 'labeldrop' }], [['mapping[0].regex', /required/]]],
    [[{ action: 'labeldrop', regex: 7 }], [['mapping[0].regex', /string/]]],
    [[{ action: 'labeldrop', regex: 'a'.repeat(1025) }], [['mapping[0].regex', /at most 1024/]]],
    [[{ action: 'rename', to: 'x' }], [['mapping[0]', /either key .* or pattern/]]],
    [[{ action: 'rename', key: 'a', pattern: 'a', to: 'x' }], [['mapping[0]', /not both/]]],
    [[{ action: 'rename', key: 'a' }], [['mapping[0].to', /required/]]],
    [[{ action: 'rename', key: 'a', to: 'x$1' }], [['mapping[0].to', /only a pattern has/]]],
    [[{ action: 'rename', key: 'a', to: '9x' }], [['mapping[0].to', /not a valid metric key/]]],
    [[{ action: 'rename', pattern: '(a)', to: 'x$2' }], [['mapping[0].to', /group "2", which pattern does not have/]]],
    [[{ action: 'rename', pattern: '(a)_(b)', to: 'x$1_total' }], [['mapping[0].to', /group "1_total".*write \$\{1\}_total/]]],
    [[{ action: 'rename', pattern: '(?P<a>x)', to: '${b}' }], [['mapping[0].to', /group "b"/]]],
    [[{ action: 'rename', pattern: 'a.*', to: 'has space' }], [['mapping[0].to', /not a valid metric key/]]],
    [[{ action: 'prefix', prefix: '' }], [['mapping[0].prefix', /not be empty/]]],
    [[{ action: 'prefix', prefix: '1x.' }], [['mapping[0].prefix', /start with a letter/]]],
    [[{ action: 'prefix', prefix: 'a b' }], [['mapping[0].prefix', /start with a letter/]]],
    [[{ action: 'drop' }], [['mapping[0]', /drops every point/]]],
    [[{ action: 'keep', valuePattern: 'x' }], [['mapping[0].valuePattern', /needs dimension/], ['mapping[0]', /keeps every point/]]],
    [[{ action: 'drop', dimension: 'bad name' }], [['mapping[0].dimension', /dimension name/]]],
    [[{ action: 'replace', targetLabel: 'a' }], [['mapping[0].sourceLabels', /array of 1 to 32/]]],
    [[{ action: 'replace', sourceLabels: ['ok', '1bad'], targetLabel: 'a' }], [['mapping[0].sourceLabels[1]', /dimension name/]]],
    [[{ action: 'replace', sourceLabels: ['a'] }], [['mapping[0].targetLabel', /required/]]],
    [[{ action: 'replace', sourceLabels: ['a'], targetLabel: 'b', regex: 'x' }], [['mapping[0].replacement', /group "1", which regex does not have/]]],
    [[{ action: 'replace', sourceLabels: ['a'], targetLabel: '__name__', replacement: 'no good' }], [['mapping[0].replacement', /not a valid metric key/]]],
    [[{ action: 'replace', sourceLabels: ['a'], targetLabel: 'b', separator: 'x'.repeat(17) }], [['mapping[0].separator', /at most 16/]]],
    [[{ action: 'labelmap', regex: 'tag_.*' }], [['mapping[0].replacement', /group "1", which regex does not have/]]],
  ];
  for (const [rules, want] of table) {
    const got = checkMappingRules(rules);
    assert.equal(got.length, want.length, `${JSON.stringify(rules).slice(0, 120)}: ${JSON.stringify(got)}`);
    want.forEach(([path, message], i) => {
      assert.equal(got[i]!.path, path, JSON.stringify(got));
      assert.match(got[i]!.message, message);
    });
  }
  // Valid rule sets report nothing.
  assert.deepEqual(
    checkMappingRules([
      { action: 'rename', pattern: '(?P<a>x)(y)', to: '${a}.$2' },
      { action: 'replace', sourceLabels: ['__name__'], regex: 'x', targetLabel: 'k', replacement: 'lit' },
      { action: 'replace', sourceLabels: ['a'], targetLabel: 'b', replacement: '' },
      { action: 'labelmap', regex: 'tag_.*', replacement: 'fixed' },
      { action: 'keep', dimension: '__name__', valuePattern: 'http_.*' },
    ]),
    [],
  );
});

test('a hostile pattern matches in linear time, and a mapper never throws', () => {
  const map = compileMapping([{ action: 'rename', pattern: '(a+)+b', to: 'x$1' }]);
  // Backtracking engines take exponential time here; RE2 does not (the test would hang otherwise).
  assert.deepEqual(map('a'.repeat(5000), {}), { key: 'a'.repeat(5000), dimensions: {} });
  // A rule that cannot compile (it could not have passed the check) is left out, not thrown at map time.
  const broken = compileMapping([{ action: 'labeldrop', regex: '(' }, { action: 'prefix', prefix: 'p.' }]);
  assert.deepEqual(broken('k', {}), { key: 'p.k', dimensions: {} });
});

test('1,000 points through 5 rules (timing printed, not asserted)', (t) => {
  const map = compileMapping([
    { action: 'rename', pattern: 'node_(.*)_bytes', to: 'node.$1' },
    { action: 'drop', pattern: 'go_.*' },
    { action: 'replace', sourceLabels: ['instance'], regex: '([^:]+):.*', targetLabel: 'host' },
    { action: 'labeldrop', regex: 'instance' },
    { action: 'prefix', prefix: 'prod.' },
  ]);
  const points = Array.from({ length: 1000 }, (_, i) => ({ key: i % 10 === 0 ? 'go_gc' : `node_m${i % 50}_bytes`, dims: { instance: `web${i % 20}:9100`, job: 'node' } }));
  const runs: number[] = [];
  for (let run = 0; run < 20; run++) {
    let kept = 0;
    const started = performance.now();
    for (const p of points) if (map(p.key, p.dims)) kept++;
    runs.push(performance.now() - started);
    assert.equal(kept, 900);
  }
  assert.deepEqual(map('node_mem_bytes', { instance: 'db:9100', job: 'node' }), { key: 'prod.node.mem', dimensions: { job: 'node', host: 'db' } });
  t.diagnostic(`1,000 points × 5 rules: first run ${runs[0]!.toFixed(2)} ms (JIT cold), fastest of 20 ${Math.min(...runs).toFixed(2)} ms`);
});
