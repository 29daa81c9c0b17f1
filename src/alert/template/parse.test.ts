// Refusals at rule creation: each with its line and column (characters, 1-based) and reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { maxNesting, maxTemplateLength, templateProblem } from './index.js';

test('templates that do not parse, or name unknown functions or variables, are refused with their position', () => {
  const rows: [string, number, number, string][] = [
    ['{{ humanise $value }}', 1, 4, 'function "humanise" not defined'],
    ['Value: {{ $value | humanise }}', 1, 20, 'function "humanise" not defined'],
    ['line one\n  {{ bad }}', 2, 6, 'function "bad" not defined'],
    ['{{ call . }}', 1, 4, 'function "call" not defined'],
    ['{{ constructor }}', 1, 4, 'function "constructor" not defined'],
    ['{{ query "up" }}', 1, 4, 'function "query" not defined'],
    ['{{ $foo }}', 1, 4, 'undefined variable "$foo"'],
    ['{{ $x = 1 }}', 1, 4, 'undefined variable "$x"'],
    ['{{ if true }}{{ $x := 1 }}{{ end }}{{ $x }}', 1, 39, 'undefined variable "$x"'],
    ['{{ humanize 1 2 }}', 1, 4, 'wrong number of args for humanize: want 1 got 2'],
    ['{{ 1 | humanize 2 }}', 1, 8, 'wrong number of args for humanize: want 1 got 2'],
    ['{{ printf }}', 1, 4, 'wrong number of args for printf: want at least 1 got 0'],
    ['{{ reReplaceAll "a" "b" }}', 1, 4, 'wrong number of args for reReplaceAll: want 3 got 2'],
    ['{{ eq 1 }}', 1, 4, 'wrong number of args for eq: want at least 2 got 1'],
    ['{{ printf "%s" humanize }}', 1, 16, 'wrong number of args for humanize: want 1 got 0'],
    ['{{ match "(" $labels.host }}', 1, 10, 'match: not a valid RE2 pattern: missing closing ): `(`'],
    ['{{ reReplaceAll "(?<=a)b" "" "ab" }}', 1, 17, 'reReplaceAll: not a valid RE2 pattern'],
    ['{{ $labels.host', 1, 1, 'unclosed action'],
    ['{{ if $value }}x', 1, 17, 'unexpected end of template: {{if}} has no {{end}}'],
    ['{{ range $labels }}{{ else }}x{{ else }}{{ end }}', 1, 34, 'expected {{end}}; found {{else}}'],
    ['x {{ end }}', 1, 6, 'unexpected {{end}}'],
    ['{{ else }}', 1, 4, 'unexpected {{else}}'],
    ['{{ define "x" }}y{{ end }}', 1, 4, '{{define}} is not supported in alert templates'],
    ['{{ template "x" }}', 1, 4, '{{template}} is not supported in alert templates'],
    ['{{ block "x" . }}{{ end }}', 1, 4, '{{block}} is not supported in alert templates'],
    ['{{ break }}', 1, 4, '{{break}} outside {{range}}'],
    ['{{ .Foo }}', 1, 4, "can't evaluate field Foo: the template data has .Labels, .ExternalLabels, .Value"],
    ['{{ $.Foo }}', 1, 4, "can't evaluate field Foo"],
    ['{{ $value 1 }}', 1, 11, "can't give argument to non-function $value"],
    ['{{ "a" | $value }}', 1, 10, "can't give argument to non-function $value"],
    ['{{ nil }}', 1, 4, 'nil is not a command'],
    ['{{}}', 1, 3, 'missing value for command'],
    ['{{ if }}{{ end }}', 1, 7, 'missing value for if'],
    ['{{ $value | }}', 1, 13, 'missing command after "|"'],
    ['{{ 1abc }}', 1, 4, 'bad number syntax'],
    ['{{ "abc }}', 1, 4, 'unterminated quoted string'],
    ['{{ "\\q" }}', 1, 5, 'invalid escape in quoted string'],
    ['{{/* x }}', 1, 1, 'unclosed comment'],
    ['{{/* x */ }}', 1, 8, 'comment ends before closing delimiter'],
    ['{{ (1 }}', 1, 7, 'unclosed left paren'],
    ['{{ 1) }}', 1, 5, 'unexpected right paren'],
    ['{{ # }}', 1, 4, 'unrecognized character in action: U+0023 "#"'],
    ['{{ "x".y }}', 1, 7, 'unexpected field ".y" after "x"'],
    ['{{ $a, $b := $labels }}', 1, 6, 'too many declarations in command'],
    ['{{ $ := 1 }}', 1, 4, 'cannot assign to $'],
    ['ok {{ $labels.host }} then {{ humanize }}', 1, 31, 'wrong number of args for humanize: want 1 got 0'],
  ];
  for (const [src, line, column, reason] of rows) {
    const p = templateProblem(src);
    assert.ok(p, `${JSON.stringify(src)} should be refused`);
    assert.deepEqual([p.line, p.column], [line, column], `${JSON.stringify(src)}: ${p.message}`);
    assert.ok(p.reason.startsWith(reason), `${JSON.stringify(src)}: ${p.reason}`);
    assert.equal(p.message, `template error at line ${line}, column ${column}: ${p.reason}`);
  }
});

test('valid templates and plain text are accepted', () => {
  for (const src of [
    'plain text, even with } and {',
    '{{ $labels.host }} {{ .Labels.host }} {{ $.Labels.host }} {{ $value }} {{ .Value }} {{ $externalLabels }} {{ .ExternalLabels }}',
    '{{- /* a comment */ -}}',
    '{{ if gt $value 0.9 }}a{{ else if gt $value 0.5 }}b{{ else }}c{{ end }}',
    '{{ with $labels.host }}{{ . }}{{ else with $labels.instance }}{{ . }}{{ else }}none{{ end }}',
    '{{ range $k, $v := $labels }}{{ if eq $k "x" }}{{ break }}{{ end }}{{ continue }}{{ end }}',
    '{{ range $labels }}{{ . }}{{ else }}no labels{{ end }}',
    '{{ $x := humanize $value }}{{ $x = printf "%s!" $x }}{{ $x }}',
    "{{ (index $labels \"a.b\") | toUpper }} {{ 'a' }} {{ 0x1F }} {{ 1_000 }} {{ -1.5e3 }} {{ `raw\n` }}",
    '{{ range $k, $v := .Labels }}{{ .Labels }}{{ end }}', // dot is a label value here: fields checked when run
  ]) {
    assert.equal(templateProblem(src), null, src);
  }
});

test('bounds: source length and nesting depth', () => {
  assert.match(templateProblem('{{ "' + 'x'.repeat(maxTemplateLength) + '" }}')!.reason, /longer than 16384 characters/);
  assert.equal(templateProblem('x'.repeat(maxTemplateLength)), null); // plain text is not parsed
  const ifs = (n: number) => '{{ if 1 }}'.repeat(n) + '{{ end }}'.repeat(n);
  assert.equal(templateProblem(ifs(maxNesting)), null);
  assert.match(templateProblem(ifs(maxNesting + 1))!.reason, /nested deeper than 32 levels/);
  const parens = (n: number) => '{{ ' + '('.repeat(n) + '1' + ')'.repeat(n) + ' }}';
  assert.equal(templateProblem(parens(maxNesting)), null);
  assert.match(templateProblem(parens(maxNesting + 1))!.reason, /nested deeper than 32 levels/);
  // Deeper than the limit by far fails the same way (no stack overflow).
  assert.match(templateProblem(parens(100_00 / 2))!.reason, /nested deeper/);
});
