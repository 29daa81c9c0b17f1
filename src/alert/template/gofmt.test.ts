// printf and float formatting as Go's fmt and strconv print them (expected strings worked out from
// Go's documented rules: %g switches to an exponent below 1e-4 and from the precision up, ties
// round half to even on the exact binary value).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFloat } from './gofmt.js';
import { expandTemplate } from './index.js';

const data = { labels: { host: 'web-1' }, value: 0.97 };
const printf = (args: string) => expandTemplate(`{{ printf ${args} }}`, data);

test('formatFloat: shortest %v/%g forms and fixed precisions, half to even on exact ties', () => {
  const rows: [number, 'e' | 'f' | 'g', number, string][] = [
    [0.97, 'g', -1, '0.97'],
    [100000, 'g', -1, '100000'],
    [1e6, 'g', -1, '1e+06'],
    [123456789, 'g', -1, '1.23456789e+08'],
    [0.0001, 'g', -1, '0.0001'],
    [0.00001, 'g', -1, '1e-05'],
    [1e21, 'g', -1, '1e+21'],
    [-0, 'g', -1, '-0'],
    [0, 'g', -1, '0'],
    [1234.5, 'g', 4, '1234'], // exact tie, 4 is even
    [1235.5, 'g', 4, '1236'],
    [1234.5, 'g', 3, '1.23e+03'],
    [0.0001234, 'g', 4, '0.0001234'],
    [0.125, 'f', 2, '0.12'],
    [0.375, 'f', 2, '0.38'],
    [2.5, 'f', 0, '2'],
    [3.5, 'f', 0, '4'],
    [0.35, 'f', 1, '0.3'], // 0.35 is 0.34999… in binary
    [9.995, 'f', 2, '9.99'], // 9.99499…
    [99.99, 'f', 1, '100.0'],
    [0.0009, 'f', 2, '0.00'],
    [0.009, 'f', 2, '0.01'],
    [1234.5678, 'e', 6, '1.234568e+03'],
    [0.000123, 'e', 2, '1.23e-04'],
    [1e100, 'e', 1, '1.0e+100'],
    [0, 'e', 3, '0.000e+00'],
    [NaN, 'g', 4, 'NaN'],
    [Infinity, 'g', 4, '+Inf'],
    [-Infinity, 'f', 2, '-Inf'],
  ];
  for (const [v, verb, prec, want] of rows) assert.equal(formatFloat(v, verb, prec), want, `${v} %${verb} ${prec}`);
});

test('printf verbs, flags, width and precision', () => {
  const rows: [string, string][] = [
    ['"%d" 42', '42'],
    ['"%5d|%-5d|%05d" 42 42 -42', '   42|42   |-0042'],
    ['"%+d % d %.3d" 5 5 7', '+5  5 007'],
    ['"%x %X %o %b" 255 255 8 5', 'ff FF 10 101'],
    ['"%f" 3.14159', '3.141590'],
    ['"%.2f|%8.3f|%-8.2f|%08.3f|%+.1f" 3.14159 3.14159 3.14159 -3.14159 2.0', '3.14|   3.142|3.14    |-003.142|+2.0'],
    ['"%.2f" $value', '0.97'],
    ['"%e|%.2e|%E" 1234.5678 0.000123 1e21', '1.234568e+03|1.23e-04|1.000000E+21'],
    ['"%g|%g|%.3g|%G" 0.00001 100000.0 1234.5 1e-7', '1e-05|100000|1.23e+03|1E-07'],
    ['"%v %v %v %v" 0.97 3 true "s"', '0.97 3 true s'],
    ['"%v" $labels', 'map[host:web-1]'],
    ['"%s|%.2s|%6s|%-4s|" "x" "héllo" "é" "ab"', 'x|hé|     é|ab  |'],
    ['"%q" "a\\"b\\n\\x01é"', '"a\\"b\\n\\x01é"'],
    ['"%x|%X" "hi" "hi"', '6869|6869'],
    ['"%t" false', 'false'],
    ['"100%%"', '100%'],
    ['"%6.2f%%" 12.345', ' 12.35%'], // 12.345 is 12.3450000000000006…
    ['"%5.1f|%-6v|" "NaN" 1', '%!f(string=NaN)|1     |'],
    // Mismatches print as Go prints them.
    ['"%d" "web"', '%!d(string=web)'],
    ['"%s" 1.5', '%!s(float64=1.5)'],
    ['"%d" 1.5', '%!d(float64=1.5)'],
    ['"%s" 3', '%!s(int=3)'],
    ['"%d"', '%!d(MISSING)'],
    ['"x" 1 "y"', 'x%!(EXTRA int=1, string=y)'],
    ['"%z" 1', '%!z(int=1)'],
    ['"50%"', '50%!(NOVERB)'],
    ['"%d|%v" nil nil', '%!d(<nil>)|<nil>'],
    ['"%d" $labels.missing', '%!d(string=)'],
  ];
  for (const [args, want] of rows) assert.equal(printf(args), want, args);
});

test('printf refuses widths over 4096 (bounded output)', () => {
  assert.equal(printf('"%5000d" 1'), '<error expanding template: line 1, column 4: error calling printf: printf width or precision 5000 is over 4096>');
  assert.equal(printf('"%.9999f" 1.0'), '<error expanding template: line 1, column 4: error calling printf: printf width or precision 9999 is over 4096>');
});
