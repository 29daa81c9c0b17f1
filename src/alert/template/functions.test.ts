// Every template function, table-driven. Expected strings are Go's documented outputs (most from
// Prometheus' own template tests, template/template_test.go) or computed by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandTemplate, type TemplateData } from './index.js';

const data: TemplateData = { labels: { host: 'web-1', instance: 'web-1.example.com:9100', alertname: 'High CPU', 'a.b': 'dotted' }, value: 0.97 };
const run = (src: string, d: TemplateData = data) => expandTemplate(src, d);
const table = (rows: [string, string][]) => {
  for (const [src, want] of rows) assert.equal(run(src), want, src);
};

test('humanize: SI prefixes, 4 significant digits', () => {
  table([
    ['{{ humanize 0 }}', '0'],
    ['{{ humanize 1 }}', '1'],
    ['{{ humanize 1234567 }}', '1.235M'],
    ['{{ humanize 0.12 }}', '120m'],
    ['{{ humanize -1 }}', '-1'],
    ['{{ humanize 9223372036854775807 }}', '9.223E'],
    ['{{ humanize "1234567.0" }}', '1.235M'],
    ['{{ humanize ".12" }}', '120m'],
    ['{{ humanize 0.000001234 }}', '1.234u'],
    ['{{ humanize "+Inf" }}', '+Inf'],
    ['{{ humanize "-Inf" }}', '-Inf'],
    ['{{ humanize "NaN" }}', 'NaN'],
    ['{{ $value | humanize }}', '970m'],
  ]);
});

test('humanize1024: binary prefixes', () => {
  table([
    ['{{ humanize1024 0 }}', '0'],
    ['{{ humanize1024 1 }}', '1'],
    ['{{ humanize1024 1048576 }}', '1Mi'],
    ['{{ humanize1024 0.12 }}', '0.12'],
    ['{{ humanize1024 1234567 }}', '1.177Mi'],
    ['{{ humanize1024 9223372036854775807 }}', '8Ei'],
    ['{{ humanize1024 -1 }}', '-1'],
    ['{{ humanize1024 "1048576.0" }}', '1Mi'],
    ['{{ humanize1024 "+Inf" }}', '+Inf'],
  ]);
});

test('humanizeDuration: seconds as d/h/m/s, sub-second units', () => {
  table([
    ['{{ humanizeDuration 0 }}', '0s'],
    ['{{ humanizeDuration 1 }}', '1s'],
    ['{{ humanizeDuration 60 }}', '1m 0s'],
    ['{{ humanizeDuration 3600 }}', '1h 0m 0s'],
    ['{{ humanizeDuration 3661 }}', '1h 1m 1s'],
    ['{{ humanizeDuration 86400 }}', '1d 0h 0m 0s'],
    ['{{ humanizeDuration 90000 }}', '1d 1h 0m 0s'],
    ['{{ humanizeDuration -183845 }}', '-2d 3h 4m 5s'],
    ['{{ humanizeDuration 899.99 }}', '14m 59s'],
    ['{{ humanizeDuration 1234567 }}', '14d 6h 56m 7s'],
    ['{{ humanizeDuration .1 }}', '100ms'],
    ['{{ humanizeDuration .0001 }}', '100us'],
    ['{{ humanizeDuration .12345 }}', '123.5ms'],
    ['{{ humanizeDuration 60.5 }}', '1m 0s'],
    ['{{ humanizeDuration 1.2345 }}', '1.234s'],
    ['{{ humanizeDuration 12.345 }}', '12.35s'],
    ['{{ humanizeDuration "3600" }}', '1h 0m 0s'],
    ['{{ humanizeDuration "NaN" }}', 'NaN'],
  ]);
});

test('humanizePercentage: a ratio as a percentage', () => {
  table([
    ['{{ -0.22222 | humanizePercentage }}', '-22.22%'],
    ['{{ 0.0 | humanizePercentage }}', '0%'],
    ['{{ 0.1234 | humanizePercentage }}', '12.34%'],
    ['{{ 0.1234567 | humanizePercentage }}', '12.35%'],
    ['{{ 1.23456 | humanizePercentage }}', '123.5%'],
    ['{{ 1234567 | humanizePercentage }}', '1.235e+08%'],
    ['{{ "0.5" | humanizePercentage }}', '50%'],
    ['{{ $value | humanizePercentage }}', '97%'],
  ]);
});

test('humanizeTimestamp: Unix seconds as a UTC time, millisecond precision', () => {
  table([
    ['{{ humanizeTimestamp 0 }}', '1970-01-01 00:00:00 +0000 UTC'],
    ['{{ humanizeTimestamp -1 }}', '1969-12-31 23:59:59 +0000 UTC'],
    ['{{ humanizeTimestamp 1234567 }}', '1970-01-15 06:56:07 +0000 UTC'],
    ['{{ humanizeTimestamp 9223372036 }}', '2262-04-11 23:47:16 +0000 UTC'],
    ['{{ 1435065584.128 | humanizeTimestamp }}', '2015-06-23 13:19:44.128 +0000 UTC'],
    ['{{ "1435065584.128" | humanizeTimestamp }}', '2015-06-23 13:19:44.128 +0000 UTC'],
    ['{{ humanizeTimestamp "NaN" }}', 'NaN'],
    ['{{ humanizeTimestamp "+Inf" }}', '+Inf'],
    ['{{ humanizeTimestamp -9.3e18 }}', '<error expanding template: line 1, column 4: error calling humanizeTimestamp: -9.3e+18 cannot be represented as a nanoseconds timestamp since it overflows int64>'],
  ]);
});

test('number functions refuse what is not a number, as Prometheus does', () => {
  table([
    ['{{ humanize "one" }}', '<error expanding template: line 1, column 4: error calling humanize: strconv.ParseFloat: parsing "one": invalid syntax>'],
    ['{{ humanize1024 "one" }}', '<error expanding template: line 1, column 4: error calling humanize1024: strconv.ParseFloat: parsing "one": invalid syntax>'],
    ['{{ humanizeDuration "one" }}', '<error expanding template: line 1, column 4: error calling humanizeDuration: strconv.ParseFloat: parsing "one": invalid syntax>'],
    ['{{ "one" | humanizePercentage }}', '<error expanding template: line 1, column 12: error calling humanizePercentage: strconv.ParseFloat: parsing "one": invalid syntax>'],
    ['{{ humanize $labels }}', '<error expanding template: line 1, column 4: error calling humanize: can\'t convert map[string]string to float>'],
    ['{{ humanize true }}', "<error expanding template: line 1, column 4: error calling humanize: can't convert bool to float>"],
    ['{{ humanize "1e999" }}', '<error expanding template: line 1, column 4: error calling humanize: strconv.ParseFloat: parsing "1e999": value out of range>'],
  ]);
});

test('toUpper, toLower, title, safeHtml, urlQueryEscape', () => {
  table([
    ['{{ "aa bb CC" | toUpper }}', 'AA BB CC'],
    ['{{ "aA bB CC" | toLower }}', 'aa bb cc'],
    ['{{ "aa bb CC" | title }}', 'Aa Bb CC'],
    ['{{ "web-1 db_main foo.bar don\'t 1st" | title }}', "Web-1 Db_main Foo.bar Don't 1st"],
    ['{{ "éa straße" | toUpper }}', 'ÉA STRAßE'],
    ['{{ $labels.alertname | toLower }}', 'high cpu'],
    ['{{ "<b>x</b>" | safeHtml }}', '<b>x</b>'],
    ['{{ "a b&c=d/é~!" | urlQueryEscape }}', 'a+b%26c%3Dd%2F%C3%A9~%21'],
    ['{{ toUpper 3 }}', '<error expanding template: line 1, column 4: error calling toUpper: wrong type for value; expected string; got int>'],
    ['{{ toUpper $value }}', '<error expanding template: line 1, column 4: error calling toUpper: wrong type for value; expected string; got float64>'],
  ]);
});

test('stripPort and stripDomain, as Go splits host:port', () => {
  table([
    ['{{ "foo.example.com" | stripPort }}', 'foo.example.com'],
    ['{{ "foo.example.com:12345" | stripPort }}', 'foo.example.com'],
    ['{{ "192.0.2.1" | stripPort }}', '192.0.2.1'],
    ['{{ "192.0.2.1:12345" | stripPort }}', '192.0.2.1'],
    ['{{ "2001:0DB8::1" | stripPort }}', '2001:0DB8::1'],
    ['{{ "[2001:0DB8::1]:12345" | stripPort }}', '2001:0DB8::1'],
    ['{{ "[2001:0DB8::1]::12345" | stripPort }}', '[2001:0DB8::1]::12345'],
    ['{{ "foo.example.com" | stripDomain }}', 'foo'],
    ['{{ "foo.example.com:12345" | stripDomain }}', 'foo:12345'],
    ['{{ "192.0.2.1" | stripDomain }}', '192.0.2.1'],
    ['{{ "192.0.2.1:12345" | stripDomain }}', '192.0.2.1:12345'],
    ['{{ "2001:0DB8::1" | stripDomain }}', '2001:0DB8::1'],
    ['{{ "[2001:0DB8::1]:12345" | stripDomain }}', '[2001:0DB8::1]:12345'],
    ['{{ "[2001:0DB8::1]::12345" | stripDomain }}', '[2001:0DB8::1]::12345'],
    ['{{ $labels.instance | stripDomain }}', 'web-1:9100'],
  ]);
});

test('match and reReplaceAll: RE2 syntax, unanchored, Go replacement templates', () => {
  table([
    ['{{ match "a+" "aa" }} {{ match "a+" "b" }}', 'true false'],
    ['{{ match "^web-" $labels.host }}', 'true'],
    ['{{ match "(?i)WEB" $labels.host }}', 'true'],
    ['{{ if match "^db" $labels.host }}db{{ else }}other{{ end }}', 'other'],
    ['{{ reReplaceAll "(a)b" "x$1" "ab" }}', 'xa'],
    ['{{ reReplaceAll "web-(\\\\d+)" "node${1}x" $labels.host }}', 'node1x'],
    ['{{ reReplaceAll "(a)" "$1x" "a" }}', ''], // `$1x` names a group "1x", which does not exist
    ['{{ reReplaceAll "(?P<h>web)-(\\\\d+)" "${h}_$2" "web-12" }}', 'web_12'],
    ['{{ reReplaceAll "b*" "-" "abc" }}', '-a-c-'],
    ['{{ reReplaceAll "x" "$$" "axb" }}', 'a$b'],
    ['{{ reReplaceAll ":.*" "" $labels.instance }}', 'web-1.example.com'],
    // Backtracking-prone patterns run in linear time on RE2.
    ['{{ match "(a+)+$" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" }}', 'false'],
    ['{{ $p := "(" }}{{ match $p "x" }}', '<error expanding template: line 1, column 19: error calling match: not a valid RE2 pattern: missing closing ): `(`>'],
  ]);
});

test('Go built-ins: comparisons, and/or/not, len, index, print, println', () => {
  table([
    ['{{ eq $labels.host "web-1" }} {{ eq 1 2 3 1 }} {{ ne "a" "b" }}', 'true true true'],
    ['{{ lt 1 2 }} {{ le 2 2 }} {{ gt "b" "a" }} {{ ge 1.5 2 }}', 'true true true false'],
    ['{{ eq 1 1.0 }} {{ gt $value 0.9 }} {{ lt $value 1 }}', 'true true true'],
    ['{{ and 1 0 2 }}|{{ and 1 2 }}|{{ or 0 "" "x" }}|{{ or 0 "" }}|{{ not "" }}', '0|2|x||true'],
    ['{{ or true (humanize "not evaluated") }}', 'true'],
    ['{{ len $labels }} {{ len "é" }} {{ len "" }}', '4 2 0'],
    ['{{ index $labels "a.b" }}|{{ index $labels "missing" }}|{{ index . }}', `dotted||${'{'}map[a.b:dotted alertname:High CPU host:web-1 instance:web-1.example.com:9100] map[] 0.97}`],
    ['{{ print 1 2 "a" 3 }}|{{ println 1 "a" }}', '1 2a3|1 a\n'],
    ['{{ eq "a" 1 }}', '<error expanding template: line 1, column 4: error calling eq: incompatible types for comparison>'],
    ['{{ lt true false }}', '<error expanding template: line 1, column 4: error calling lt: invalid type for comparison>'],
    ['{{ eq $labels $labels }}', '<error expanding template: line 1, column 4: error calling eq: non-comparable type map[string]string>'],
    ['{{ len 3 }}', '<error expanding template: line 1, column 4: error calling len: len of type int>'],
    ['{{ index $value "x" }}', "<error expanding template: line 1, column 4: error calling index: can't index item of type float64>"],
  ]);
  // As in Go, gt is "not le": a NaN value (an alert without one) is greater than anything.
  assert.equal(run('{{ gt $value 1 }} {{ lt $value 1 }}', { labels: {}, value: null }), 'true false');
});
