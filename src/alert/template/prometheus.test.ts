// The same templates rendered by Prometheus itself: `promtool test rules` (Debian's prometheus
// package) fires an alerting rule whose annotations are these templates over the same labels and
// value, and checks that its renderings equal ours. Any difference fails with promtool's diff.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { expandTemplate } from './index.js';

const promtool = process.env.PROMTOOL ?? '/usr/bin/promtool';
const labels = { __name__: 'cpu', host: 'web-1', instance: 'web-1.example.com:9100' };
const value = 0.9734;

// Templates Prometheus 2.42 (the Debian package's) and this module both support.
const templates = [
  '{{ $labels.host }} is at {{ $value }}',
  '{{ .Labels.instance }} {{ $.Value }} {{ .Value | humanizePercentage }}',
  '{{ $labels }} {{ $externalLabels }} {{ len $labels }}',
  '{{ $value | humanize }} {{ humanize 1234567 }} {{ humanize 0.000001234 }} {{ humanize -0.12 }} {{ humanize 1e30 }}',
  '{{ humanize1024 1048576 }} {{ humanize1024 1234567 }} {{ humanize1024 0.5 }} {{ humanize1024 "2e12" }}',
  '{{ humanizeDuration 3661 }} {{ humanizeDuration 0.0123 }} {{ humanizeDuration 90061.5 }} {{ humanizeDuration -59.9 }} {{ humanizeDuration "7.25" }}',
  '{{ humanizePercentage 0.1234 }} {{ humanizePercentage 1 }} {{ humanizePercentage 0.000012345 }}',
  '{{ humanizeTimestamp 1435065584.128 }} | {{ humanizeTimestamp 0 }} | {{ humanizeTimestamp 1700000000 }}',
  '{{ printf "%.2f|%8.3f|%-6.1f|%05.1f|%+.0f" $value $value $value $value $value }}',
  '{{ printf "%e|%.3e|%E|%g|%.3g|%G" $value 1234.5678 0.000012 1e21 1234.5 1e-7 }}',
  '{{ printf "%d|%5d|%-5d|%05d|%x|%X|%o" 42 42 42 -42 255 255 8 }}',
  '{{ printf "%s|%10s|%-10s|%.3s|%q|%v|%v" $labels.host $labels.host $labels.host $labels.host $labels.host $value 3 }}',
  '{{ printf "%d %s" $labels.host $value }} {{ printf "%d" }} {{ printf "x" 1 }}',
  '{{ printf "%.2f" 0.125 }} {{ printf "%.0f" 2.5 }} {{ printf "%.0f" 3.5 }} {{ printf "%.1f" 0.35 }} {{ printf "%.4g" 1234.5 }}',
  '{{ 1e6 }} {{ 100000.0 }} {{ 123456789.0 }} {{ 0.00001 }} {{ 3 }} {{ 0x1F }} {{ true }}',
  // title: Prometheus 2.42 used strings.Title ("Foo.Bar", "Don'T"); current Prometheus, and this module, use
  // Unicode word breaks ("Foo.bar", "Don't"), so only text where both agree is compared here.
  '{{ $labels.host | toUpper }} {{ "ÀB cd" | toLower }} {{ "web server-1 2nd" | title }}',
  '{{ reReplaceAll "web-(\\\\d+)" "node-$1" $labels.host }} {{ reReplaceAll ":.*" "" $labels.instance }} {{ reReplaceAll "b*" "-" "abc" }}',
  '{{ match "^web" $labels.host }} {{ match "db" $labels.host }}',
  '{{ $labels.instance | stripPort }} {{ $labels.instance | stripDomain }} {{ "[::1]:9090" | stripPort }} {{ "10.0.0.1:80" | stripDomain }}',
  '{{ if gt $value 0.95 }}critical{{ else if gt $value 0.9 }}high{{ else }}ok{{ end }}',
  '{{ with $labels.host }}host {{ . }}{{ end }}{{ with $labels.missing }}never{{ else }} (no missing){{ end }}',
  '{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}',
  '{{ range $labels }}[{{ . }}]{{ end }}',
  '{{ $x := humanize $value }}{{ $x }} {{ $x = printf "%s!" $x }}{{ $x }}',
  '{{- /* comment */ -}}   {{ index $labels "host" }}  {{- "." }}',
  '{{ and 1 0 }} {{ or 0 "x" }} {{ not true }} {{ eq $labels.host "web-1" "web-2" }} {{ ne 1 2 }} {{ lt "a" "b" }} {{ le 2.0 2.0 }} {{ ge $value 1.0 }}',
  '{{ print 1 2 "a" 3 }} {{ println "x" 1 }}',
  '{{ humanize $labels.missing }}',
];

test('templates render as Prometheus renders them (promtool test rules)', () => {
  assert.equal(spawnSync(promtool, ['--version']).status, 0, `${promtool} is missing: .ci/run installs Debian's prometheus package, which ships it`);
  const dir = mkdtempSync(join(tmpdir(), 'iv-templates-'));
  try {
    const annotations = Object.fromEntries(templates.map((t, i) => [`a${String(i).padStart(2, '0')}`, t]));
    const expected: Record<string, string> = {};
    for (const [k, t] of Object.entries(annotations)) {
      // Prometheus prefixes its own error text ("error executing template __alert_T: template: …"): compare only that both fail.
      const ours = expandTemplate(t, { labels, value });
      if (!ours.startsWith('<error expanding template:')) expected[k] = ours;
    }
    const broken = Object.keys(annotations).filter((k) => !(k in expected));
    assert.deepEqual(broken, ['a27']); // humanize of a missing label fails in both
    // JSON is YAML: every string is written as a JSON string.
    const rules = { groups: [{ name: 'g', rules: [{ alert: 'T', expr: 'cpu > 0.9', annotations }] }] };
    writeFileSync(join(dir, 'rules.yml'), JSON.stringify(rules));
    const rulesTest = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [{ series: `cpu{host="${labels.host}",instance="${labels.instance}"}`, values: `${value}x10` }],
          alert_rule_test: [{ eval_time: '5m', alertname: 'T', exp_alerts: [{ exp_labels: { host: labels.host, instance: labels.instance }, exp_annotations: { ...expected, a27: '' } }] }],
        },
      ],
    };
    writeFileSync(join(dir, 'test.yml'), JSON.stringify(rulesTest));
    const first = spawnSync(promtool, ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8' });
    // The failing annotation: promtool shows Prometheus' rendering; check it is an error too, then compare the rest exactly.
    const got = /a27="(<error expanding template:.*?invalid syntax>)"/.exec(first.stdout + first.stderr);
    assert.ok(got, first.stdout + first.stderr);
    const theirs = got[1]!.replace(/\\"/g, '"');
    assert.match(theirs, /error calling humanize: strconv.ParseFloat: parsing "": invalid syntax>$/);
    rulesTest.tests[0]!.alert_rule_test[0]!.exp_alerts[0]!.exp_annotations.a27 = theirs;
    writeFileSync(join(dir, 'test.yml'), JSON.stringify(rulesTest));
    const r = spawnSync(promtool, ['test', 'rules', 'test.yml'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
