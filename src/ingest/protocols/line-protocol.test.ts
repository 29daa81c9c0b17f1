import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { maxRawLineLength, parseLineProtocol, type LinePoint } from './line-protocol.js';
import { precisionOf, readTimestamp } from './line-protocol-values.js';

const ns = '1767261600123456789'; // 2026-01-01T10:00:00.123456789Z
const ms = 1_767_261_600_123;

/** The points of a body that must parse without refusals. */
function points(text: string, precision?: Parameters<typeof parseLineProtocol>[1]): LinePoint[] {
  const r = parseLineProtocol(text, precision);
  assert.deepEqual(r.undecodable, [], JSON.stringify(r.undecodable));
  return r.items;
}

/** The single refusal of a one-line body: its code and message. */
function refused(text: string): { code: string; message: string } {
  const r = parseLineProtocol(text);
  assert.equal(r.items.length, 0, `points were kept: ${JSON.stringify(r.items)}`);
  assert.equal(r.undecodable.length, 1, JSON.stringify(r.undecodable));
  const e = r.undecodable[0]!.error;
  assert.equal(e.index, 0);
  assert.equal(e.field, 'line 1');
  return { code: e.code, message: e.message };
}

describe('line protocol: structure', () => {
  test('measurement, tags, fields, timestamp: one point per field, key measurement.field, tags as dimensions', () => {
    assert.deepEqual(points(`cpu,host=web-1,region=eu usage_user=1.5,usage_idle=98.5 ${ns}`), [
      { key: 'cpu.usage_user', value: 1.5, dimensions: { host: 'web-1', region: 'eu' }, timestamp: ms },
      { key: 'cpu.usage_idle', value: 98.5, dimensions: { host: 'web-1', region: 'eu' }, timestamp: ms },
    ]);
  });

  test('no tags, no timestamp: dimensions empty and timestamp absent (the pipeline uses the time received)', () => {
    const [p] = points('mem used=42');
    assert.deepEqual(p, { key: 'mem.used', value: 42, dimensions: {} });
    assert.ok(!('timestamp' in p!));
  });

  test('comments, blank lines, CRLF, leading blanks, trailing spaces, a byte-order mark, no final newline', () => {
    const body = `\ufeff# header comment\r\n\r\n   \t\ncpu v=1 ${ns}\r\n  # indented comment\n\tmem v=2   \r\ndisk v=3 ${ns}  `;
    const r = parseLineProtocol(body);
    assert.deepEqual(r.undecodable, []);
    assert.equal(r.lines, 3);
    assert.deepEqual(r.items.map((p) => [p.key, p.value, p.timestamp]), [['cpu.v', 1, ms], ['mem.v', 2, undefined], ['disk.v', 3, ms]]);
    assert.deepEqual(r.lineOf, [4, 6, 7]);
  });

  test('an empty body and a body of comments have no lines', () => {
    for (const body of ['', '\n', '\r\n\r\n', '# only\n# comments']) {
      const r = parseLineProtocol(body);
      assert.deepEqual([r.lines, r.items.length, r.undecodable.length], [0, 0, 0], JSON.stringify(body));
    }
  });

  test('unicode in measurement, tags and fields passes through unchanged', () => {
    assert.deepEqual(points('température,pièce=salle\\ à\\ manger,emoji=🍭 valeur=21.5'), [{ key: 'température.valeur', value: 21.5, dimensions: { pièce: 'salle à manger', emoji: '🍭' } }]);
  });

  test('a very long line (100,000 fields) is read in one pass', () => {
    const fields = Array.from({ length: 100_000 }, (_, i) => `f${i}=${i}`).join(',');
    const r = parseLineProtocol(`wide,host=a ${fields} ${ns}`);
    assert.equal(r.undecodable.length, 0);
    assert.equal(r.items.length, 100_000);
    assert.deepEqual(r.items[99_999], { key: 'wide.f99999', value: 99_999, dimensions: { host: 'a' }, timestamp: ms });
  });

  test('many lines: line numbers follow the text, refused lines in between', () => {
    const body = ['a v=1', 'bad', '', 'b v=2', '# c', 'c v="s"', 'd v=4'].join('\n');
    const r = parseLineProtocol(body);
    assert.deepEqual(r.items.map((p) => p.key), ['a.v', 'b.v', 'd.v']);
    assert.deepEqual(r.lineOf, [1, 4, 7]);
    assert.deepEqual(r.undecodable.map((u) => [u.error.index, u.error.code]), [[1, 'invalid_line'], [5, 'unsupported_value']]);
    assert.equal(r.lines, 5);
  });
});

describe('line protocol: escapes (as InfluxDB documents them)', () => {
  const cases: [string, string, string, Record<string, string>][] = [
    ['measurement: comma and space', 'my\\,meas\\ ure v=1', 'my,meas ure.v', {}],
    ['measurement: "=" needs no escape and a backslash before it stays', 'a=b\\=c v=1', 'a=b\\=c.v', {}],
    ['tag key and value: comma, equals, space', 'm,tag\\ k\\,e\\=y=v\\ a\\,l\\=ue v=1', 'm.v', { 'tag k,e=y': 'v a,l=ue' }],
    ['field key: comma, equals, space', 'm f\\ i\\,e\\=ld=1', 'm.f i,e=ld', {}],
    ['\\\\ is one backslash', 'm,t=a\\\\b v=1', 'm.v', { t: 'a\\b' }],
    ['\\\\\\ is two backslashes', 'm,t=a\\\\\\b v=1', 'm.v', { t: 'a\\\\b' }],
    ['a backslash before an ordinary character is literal', 'm,path=C:\\temp v=1', 'm.v', { path: 'C:\\temp' }],
    ['an escaped space runs the measurement on', 'm\\ v=1', 'm\\ v=1', {}],
    ['quotes in names are part of the name', 'm,"t"=\'v\' "f"=1', 'm."f"', { '"t"': "'v'" }],
    ['a tag named __proto__ is kept', 'm,__proto__=x v=1', 'm.v', JSON.parse('{"__proto__":"x"}') as Record<string, string>],
  ];
  for (const [name, line, key, dims] of cases) {
    test(name, () => {
      if (name.startsWith('an escaped space')) {
        // `m\ v=1` escapes the space: the measurement runs on and the line has no fields.
        assert.equal(refused(line).message, 'line 1: missing fields');
        return;
      }
      const [p] = points(line);
      assert.equal(p!.key, key);
      assert.deepEqual(p!.dimensions, dims);
      assert.deepEqual(Object.keys(p!.dimensions), Object.keys(dims));
    });
  }

  test('string values: \\" and \\\\ unescaped, commas, spaces and = inside quotes do not split the line', () => {
    const r = parseLineProtocol('m,t=x a=1,s="say \\"hi\\", a=b \\\\ c \\d",b=2 ' + ns);
    assert.deepEqual(r.items.map((p) => [p.key, p.value, p.timestamp]), [['m.a', 1, ms], ['m.b', 2, ms]]);
    assert.equal(r.undecodable.length, 1);
    assert.equal(r.undecodable[0]!.error.message, 'line 1: field "s" is a string ("say "hi", a=b \\ c \\d"): only numbers and booleans are stored');
  });
});

describe('line protocol: field types', () => {
  const values: [string, number][] = [
    ['1', 1],
    ['1.0', 1],
    ['-0.5', -0.5],
    ['.5', 0.5],
    ['1.', 1],
    ['1e3', 1000],
    ['-1.234456e+78', -1.234456e78],
    ['2E-3', 0.002],
    ['12i', 12],
    ['-12i', -12],
    ['0i', 0],
    ['9223372036854775807i', 9223372036854775807],
    ['-9223372036854775808i', -9223372036854775808],
    ['12u', 12],
    ['18446744073709551615u', 18446744073709551615],
    ['007u', 7],
  ];
  for (const [text, value] of values) {
    test(`number ${text} → ${value}`, () => assert.deepEqual(points(`m v=${text}`).map((p) => p.value), [value]));
  }

  for (const [spellings, value] of [[['t', 'T', 'true', 'True', 'TRUE'], 1], [['f', 'F', 'false', 'False', 'FALSE'], 0]] as const) {
    test(`booleans ${spellings.join(' ')} → ${value}`, () => {
      for (const s of spellings) assert.deepEqual(points(`m v=${s}`).map((p) => p.value), [value], s);
    });
  }

  const bad: [string, string][] = [
    ['tRUE', 'value tRUE is not a number, boolean or quoted string'],
    ['yes', 'value yes is not a number, boolean or quoted string'],
    ['NaN', 'value NaN is not a number, boolean or quoted string'],
    ['Inf', 'value Inf is not a number, boolean or quoted string'],
    ['0x10', 'value 0x10 is not a number, boolean or quoted string'],
    ['1.2.3', 'value 1.2.3 is not a number, boolean or quoted string'],
    ['+1', 'value +1 is not a number, boolean or quoted string'],
    ['1e', 'value 1e is not a number, boolean or quoted string'],
    ['-', 'value - is not a number, boolean or quoted string'],
    ['1e999', 'value 1e999 is out of the 64-bit float range'],
    ['1.5i', 'value 1.5i is not an integer'],
    ['i', 'value i is not an integer'],
    ['9223372036854775808i', 'value 9223372036854775808i is out of the 64-bit integer range'],
    ['-9223372036854775809i', 'value -9223372036854775809i is out of the 64-bit integer range'],
    ['-1u', 'value -1u is not an unsigned integer'],
    ['18446744073709551616u', 'value 18446744073709551616u is out of the unsigned 64-bit integer range'],
    ["'single'", "value 'single' is not a number, boolean or quoted string"],
  ];
  for (const [text, message] of bad) {
    test(`${text} is refused: ${message}`, () => assert.deepEqual(refused(`m v=${text}`), { code: 'invalid_line', message: `line 1: field "v": ${message}` }));
  }

  test('a string field is refused alone (unsupported_value, its field in raw); the line\'s numbers are kept', () => {
    const r = parseLineProtocol('m,host=a n=1i,s="text",ok=true');
    assert.deepEqual(r.items.map((p) => [p.key, p.value]), [['m.n', 1], ['m.ok', 1]]);
    assert.deepEqual(r.undecodable, [
      {
        raw: { line: 1, text: 'm,host=a n=1i,s="text",ok=true', field: 's' },
        error: { index: 0, code: 'unsupported_value', message: 'line 1: field "s" is a string ("text"): only numbers and booleans are stored', field: 'line 1' },
      },
    ]);
  });
});

describe('line protocol: refused lines', () => {
  const cases: [string, string, string?][] = [
    ['cpu', 'missing fields'],
    ['cpu ', 'missing fields'],
    ['cpu,host=a', 'missing fields'],
    ['cpu,host=a ', 'missing fields'],
    [',host=a v=1', 'missing measurement'],
    ['cpu, v=1', 'missing tag key after ","'],
    ['cpu,=a v=1', 'missing tag key after ","'],
    ['cpu,host v=1', 'tag "host" has no "=value"'],
    ['cpu,host= v=1', 'tag "host" has an empty value (omit the tag instead)'],
    ['cpu,host=a=b v=1', 'tag "host" has an unescaped "=" in its value (write \\=)'],
    ['cpu,host=a,host=b v=1', 'tag "host" appears twice'],
    ['cpu v', 'field "v" has no "=value"'],
    ['cpu =1', 'missing field key before "="'],
    ['cpu v=', 'field "v": no value'],
    ['cpu v=1,', 'missing field after ","'],
    ['cpu v=1,,w=2', 'missing field after ","'],
    ['cpu v=1,v=2', 'field "v" appears twice'],
    ['cpu v="open', 'field "v" has an unterminated string'],
    ['cpu v="a"b', 'unexpected "b" after field "v"'],
    [`cpu v=1 ${ns} extra`, 'unexpected "extra" after the timestamp'],
    [`cpu v=1 ${ns} 1`, 'unexpected "1" after the timestamp'],
    ['cpu v=1 12:00', 'timestamp 12:00 is not an integer'],
    ['cpu v=1 1.5', 'timestamp 1.5 is not an integer'],
    ['cpu v=1 99999999999999999999', 'timestamp 99999999999999999999 is out of the 64-bit range'],
    ['cpu v=1 1700000000', 'timestamp 1700000000 read as nanoseconds (1970-01-01T00:00:01.700Z) is outside 1973–9999: does precision= match the unit sent?', 'invalid_timestamp'],
    ['cpu v=1 -1', 'timestamp -1 read as nanoseconds is outside 1973–9999: does precision= match the unit sent?', 'invalid_timestamp'],
  ];
  for (const [line, message, code] of cases) {
    test(`${JSON.stringify(line)}: ${message}`, () => assert.deepEqual(refused(line), { code: code ?? 'invalid_line', message: `line 1: ${message}` }));
  }

  test('duplicate fields are found past the linear scan too (a Set beyond 16 fields)', () => {
    const fields = Array.from({ length: 40 }, (_, i) => `f${i}=1`).join(',');
    assert.equal(refused(`m ${fields},f3=2`).message, 'line 1: field "f3" appears twice');
  });

  test('a refused line keeps none of its points, its text (cut to 1 KiB) and number are in raw', () => {
    const long = `m,${'t'.repeat(3000)}=x a=1,b=2 nope`;
    const r = parseLineProtocol(`ok v=1\n${long}\n`);
    assert.deepEqual(r.items.map((p) => p.key), ['ok.v']);
    assert.equal(r.undecodable.length, 1);
    const u = r.undecodable[0]!;
    assert.deepEqual(u.raw, { line: 2, text: long.slice(0, maxRawLineLength) });
    assert.equal(u.error.index, 1);
    assert.match(u.error.message, /^line 2: timestamp nope is not an integer$/);
  });

  test('a newline ends the line even inside quotes (line protocol carries none in values)', () => {
    const r = parseLineProtocol('m s="two\nlines" v=1');
    assert.deepEqual(r.undecodable.map((u) => u.error.message), ['line 1: field "s" has an unterminated string']);
    // The second half reads as a line of its own (the pipeline then refuses its key).
    assert.deepEqual(r.items, [{ key: 'lines".v', value: 1, dimensions: {} }]);
    assert.deepEqual(r.lineOf, [2]);
  });
});

describe('line protocol: precision', () => {
  const cases: [Parameters<typeof parseLineProtocol>[1], string, number][] = [
    ['ns', '1767261600123456789', ms],
    ['ns', '1767261600123999999', ms], // cut to the millisecond, never rounded up
    ['us', '1767261600123456', ms],
    ['ms', '1767261600123', ms],
    ['s', '1767261600', 1_767_261_600_000],
    ['m', '29454360', 1_767_261_600_000],
    ['h', '490906', 1_767_261_600_000],
  ];
  for (const [precision, ts, expected] of cases) {
    test(`${precision}: ${ts} → ${new Date(expected).toISOString()}`, () => assert.deepEqual(points(`m v=1 ${ts}`, precision).map((p) => p.timestamp), [expected]));
  }

  test('leading zeros and the 9999 bound', () => {
    assert.equal(readTimestamp('0001767261600123', 0, 16, 'ms').ok, true);
    assert.deepEqual(readTimestamp('253402300799999', 0, 15, 'ms'), { ok: true, ms: 253_402_300_799_999 });
    assert.equal(readTimestamp('253402300800000', 0, 15, 'ms').ok, false);
  });

  test('precision= spellings: v2 ns|us|ms|s, v1 n|u|ms|s|m|h (and ns, us)', () => {
    assert.deepEqual(['ns', 'us', 'ms', 's', 'n', 'u', 'm', 'h', 'NS', ''].map((p) => precisionOf(p, 'v2')), ['ns', 'us', 'ms', 's', undefined, undefined, undefined, undefined, undefined, undefined]);
    assert.deepEqual(['n', 'u', 'ms', 's', 'm', 'h', 'ns', 'us', 'x', 'S'].map((p) => precisionOf(p, 'v1')), ['ns', 'us', 'ms', 's', 'm', 'h', 'ns', 'us', undefined, undefined]);
  });
});
