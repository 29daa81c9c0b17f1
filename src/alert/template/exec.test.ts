// Every construct of the template subset, evaluated: text and actions, trim markers, comments, the
// data ($labels, $value, $externalLabels, ., $), fields and index, pipelines and parentheses,
// variables, if/else if/else, with/else with, range with break/continue/else, and the bounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandAnnotations, expandTemplate, maxRenderSteps, maxRenderedLength, type TemplateData } from './index.js';

const data: TemplateData = { labels: { host: 'web-1', team: 'core', 'a.b': 'dotted', empty: '' }, value: 0.97 };
const table = (rows: [string, string][], d: TemplateData = data) => {
  for (const [src, want] of rows) assert.equal(expandTemplate(src, d), want, src);
};

test('text, actions, trim markers and comments', () => {
  table([
    ['no template here: {not} } {', 'no template here: {not} } {'],
    ['{{ "a" }}{{ `b\\n` }}{{ \'c\' }}{{ "\\u00e9\\t|" }}', 'ab\\n99é\t|'],
    ['a  {{- "b" -}}  c', 'abc'],
    ['a\n\t{{- "b" }}\n c', 'ab\n c'],
    ['{{ "x" -}}\n\n  y', 'xy'],
    ['a {{-3}} b', 'a -3 b'], // `{{-3` is the number -3, not a trim marker
    ['a{{/* a comment */}}b', 'ab'],
    ['a {{- /* trimmed comment */ -}} b', 'ab'],
    ['{{ 1 }} {{ 1.5 }} {{ 1e6 }} {{ 0x10 }} {{ 1_000 }} {{ true }} {{ print nil }}', '1 1.5 1e+06 16 1000 true <nil>'],
  ]);
});

test('the data: $labels, .Labels, $.Labels, $value, .Value, $externalLabels, index for dotted names', () => {
  table([
    ['{{ $labels.host }}|{{ .Labels.host }}|{{ $.Labels.host }}|{{ $labels.missing }}|', 'web-1|web-1|web-1||'],
    ['{{ $value }}|{{ .Value }}|{{ $.Value }}', '0.97|0.97|0.97'],
    ['{{ $externalLabels }}|{{ .ExternalLabels }}|{{ len $externalLabels }}', 'map[]|map[]|0'],
    ['{{ index $labels "a.b" }}|{{ index .Labels "host" }}', 'dotted|web-1'],
    ['{{ $labels }}', 'map[a.b:dotted empty: host:web-1 team:core]'],
  ]);
  table([['{{ $value }} {{ humanize $value }}', 'NaN NaN']], { labels: {}, value: null });
  table([['{{ .ExternalLabels.region }}', 'eu']], { labels: {}, value: 1, externalLabels: { region: 'eu' } });
});

test('pipelines, parentheses and variables', () => {
  table([
    ['{{ $labels.host | toUpper | printf "%s!" }}', 'WEB-1!'],
    ['{{ printf "%s/%s" $labels.team (index $labels "host" | toUpper) }}', 'core/WEB-1'],
    ['{{ (index $labels "a.b") | len }}', '6'],
    ['{{ $x := humanize $value }}[{{ $x }}]{{ $x = printf "%s!" $x }}[{{ $x }}]', '[970m][970m!]'],
    ['{{ $h := $labels.host }}{{ if true }}{{ $h = "inner" }}{{ end }}{{ $h }}', 'inner'],
    ['{{ with $labels }}{{ .host }}{{ end }}', 'web-1'],
  ]);
});

test('if / else if / else, with / else with / else', () => {
  const d = (value: number): TemplateData => ({ ...data, value });
  const tiers = '{{ if gt $value 0.9 }}high{{ else if gt $value 0.5 }}medium{{ else }}low{{ end }}';
  table([[tiers, 'high']], d(0.97));
  table([[tiers, 'medium']], d(0.6));
  table([[tiers, 'low']], d(0.1));
  table([
    ['{{ if $labels.empty }}set{{ else }}empty{{ end }}', 'empty'],
    ['{{ if $labels.host }}set{{ end }}', 'set'],
    ['{{ if and $labels.host (not $labels.empty) }}yes{{ end }}', 'yes'],
    ['{{ if $x := $labels.host }}{{ $x }}{{ else }}none{{ end }}', 'web-1'],
    ['{{ with $labels.empty }}{{ . }}{{ else with $labels.team }}team {{ . }}{{ else }}none{{ end }}', 'team core'],
    ['{{ with $labels.missing }}{{ . }}{{ else }}none{{ end }}', 'none'],
  ]);
});

test('range over labels: sorted keys, one or two variables, dot, break, continue, else', () => {
  table([
    ['{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}', 'a.b=dotted,empty=,host=web-1,team=core,'],
    ['{{ range $v := $labels }}{{ $v }};{{ end }}', 'dotted;;web-1;core;'],
    ['{{ range $labels }}[{{ . }}]{{ end }}', '[dotted][][web-1][core]'],
    ['{{ range $k, $v := $labels }}{{ if eq $k "host" }}{{ break }}{{ end }}{{ $k }} {{ end }}', 'a.b empty '],
    ['{{ range $k, $v := $labels }}{{ if not $v }}{{ continue }}{{ end }}{{ $k }} {{ end }}', 'a.b host team '],
    ['{{ range $externalLabels }}x{{ else }}no external labels{{ end }}', 'no external labels'],
    ['{{ range $k, $v := $labels }}{{ range $labels }}.{{ end }}|{{ end }}', '....|....|....|....|'],
    ['{{ range $value }}x{{ end }}', '<error expanding template: line 1, column 10: range can\'t iterate over 0.97 (only over label maps)>'],
  ]);
});

test('runtime errors render as Prometheus does and never throw', () => {
  table([
    ['a {{ humanize $labels.missing }} b', '<error expanding template: line 1, column 6: error calling humanize: strconv.ParseFloat: parsing "": invalid syntax>'],
    ['{{ $labels.host.x }}', "<error expanding template: line 1, column 4: can't evaluate field x in type string>"],
    ['{{ range $labels }}{{ .x }}{{ end }}', "<error expanding template: line 1, column 23: can't evaluate field x in type string>"],
    ['line 1\n{{ toUpper $value }}', '<error expanding template: line 2, column 4: error calling toUpper: wrong type for value; expected string; got float64>'],
  ]);
  // Text that does not parse (stored before templates were checked) comes back as it is.
  assert.equal(expandTemplate('see {{docs}}', data), 'see {{docs}}');
});

test('bounds: output and steps are capped, the rest of the annotations still render', () => {
  const many: Record<string, string> = {};
  for (let i = 0; i < 32; i++) many[`l${String(i).padStart(2, '0')}`] = 'v'.repeat(200);
  const big: TemplateData = { labels: many, value: 1 };
  const out = expandTemplate('{{ range $labels }}{{ . }}{{ end }}', big);
  assert.match(out, new RegExp(`^<error expanding template: line 1, column \\d+: output longer than ${maxRenderedLength} characters>$`));
  assert.equal(expandTemplate('{{ range $labels }}{{ len . }}{{ end }}', big).length, 32 * 3);
  const nested = '{{ range $labels }}{{ range $labels }}{{ range $labels }}{{ end }}{{ end }}{{ end }}';
  assert.equal(expandTemplate(nested, big), `<error expanding template: line 1, column 42: more than ${maxRenderSteps} evaluation steps>`);
  assert.equal(expandTemplate('{{ reReplaceAll "" "0123456789" (printf "%3000s" "") }}', data), '<error expanding template: line 1, column 4: error calling reReplaceAll: result longer than 4096 characters>');
  assert.deepEqual(expandAnnotations({ ok: '{{ $labels.host }}', bad: nested, plain: 'x' }, big), {
    ok: '',
    bad: `<error expanding template: line 1, column 42: more than ${maxRenderSteps} evaluation steps>`,
    plain: 'x',
  });
});
