import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig, parseSize } from './config.js';

test('defaults: port 8080, embedded store in ./data, no Redis', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.redisUrl, undefined);
  assert.match(c.dataDir, /\/data$/);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.rateLimitMax, 600);
  assert.equal(c.bodyLimitBytes, 4 * 1024 * 1024);
  assert.equal(c.jobsEnabled, true);
});

test('environment values are parsed, flags override them', () => {
  const c = loadConfig(
    { PORT: '9000', DATABASE_URL: 'postgres://u@h:5432/db', REDIS_URL: 'redis://127.0.0.1:6379', LOG_LEVEL: 'DEBUG', BODY_LIMIT: '512kb', JOBS_ENABLED: 'false' },
    { port: '9100', 'rate-limit': '50' },
  );
  assert.equal(c.port, 9100);
  assert.equal(c.databaseUrl, 'postgres://u@h:5432/db');
  assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(c.logLevel, 'debug');
  assert.equal(c.bodyLimitBytes, 512 * 1024);
  assert.equal(c.rateLimitMax, 50);
  assert.equal(c.jobsEnabled, false);
});

test('bad values: one error listing every problem with its source', () => {
  try {
    loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud', BODY_LIMIT: '12 parsecs', REDIS_URL: 'http://x' }, { 'rate-limit': '0' });
    assert.fail('expected a ConfigError');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const text = e.message;
    for (const expected of ['PORT must be a whole number', 'DATABASE_URL must be a postgres:// URL', 'LOG_LEVEL must be one of', 'BODY_LIMIT must be a size', 'REDIS_URL must be a redis://', '--rate-limit must be between 1']) {
      assert.ok(text.includes(expected), `missing "${expected}" in:\n${text}`);
    }
    assert.equal(e.problems.length, 6);
  }
});

test('port range and empty DATABASE_URL', () => {
  assert.throws(() => loadConfig({ PORT: '70000' }), /PORT must be between 0 and 65535/);
  assert.equal(loadConfig({ DATABASE_URL: '' }).databaseUrl, undefined);
});

test('parseSize', () => {
  assert.equal(parseSize('1048576'), 1048576);
  assert.equal(parseSize('4mb'), 4 * 1024 * 1024);
  assert.equal(parseSize('64KB'), 65536);
  assert.throws(() => parseSize('1'), /between 1kb and 1gb/);
  assert.throws(() => parseSize('-5mb'), /must be a size/);
});

test('OUTBOUND_ALLOWED_CIDRS: none by default; a list of ranges is normalised; a bad entry is named', () => {
  assert.deepEqual(loadConfig({}).outboundAllowedCidrs, []);
  assert.deepEqual(loadConfig({ OUTBOUND_ALLOWED_CIDRS: '127.0.0.0/8, ::1/128,10.20.0.0/16' }).outboundAllowedCidrs, ['127.0.0.0/8', '::1/128', '10.20.0.0/16']);
  assert.deepEqual(loadConfig({}, { 'outbound-allowed-cidrs': '192.168.10.5' }).outboundAllowedCidrs, ['192.168.10.5/32']);
  assert.throws(
    () => loadConfig({ OUTBOUND_ALLOWED_CIDRS: '127.0.0.0/8,localhost,10.0.0.0/40' }),
    (e: Error) => e instanceof ConfigError && e.message.includes('OUTBOUND_ALLOWED_CIDRS must be comma-separated CIDR ranges such as 127.0.0.0/8,fd00::/8; cannot read "localhost", "10.0.0.0/40"'),
  );
});
