import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { AppError } from '../core/errors.js';
import { channelTypes, notifierFor, notifiers } from './registry.js';

const here = fileURLToPath(new URL('.', import.meta.url));

describe('notifier registry', () => {
  test('every channel folder (one with a notifier.ts) is registered, and nothing else is', () => {
    const folders = readdirSync(here, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'notifier.ts')))
      .map((d) => d.name)
      .sort();
    assert.deepEqual(folders, ['alertmanager', 'email', 'pagerduty', 'slack', 'webhook']);
    assert.deepEqual([...channelTypes], folders);
  });

  test("each key is the notifier's type", () => {
    for (const [key, notifier] of Object.entries(notifiers)) assert.equal(notifier.type, key);
  });

  // Stored configurations are parsed again on every delivery: parsing a parsed one must change nothing.
  const samples: Record<string, unknown> = {
    email: { host: 'smtp.example.com', to: 'ops@example.com', from: 'IV <alerts@example.com>', auth: { user: 'u', pass: ' p w ' }, subjectPrefix: '[prod]' },
    slack: { url: 'https://hooks.slack.com/services/T0/B0/abcdefghijkl' },
    webhook: { url: 'HTTPS://Hooks.Example.com/in?x=1', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', format: 'alertmanager' },
    pagerduty: { routingKey: 'R0UT1NGKEY0123456789ABCDEFGHIJKL' },
    alertmanager: { url: 'https://AM.example.com/alertmanager/', basicAuth: { username: 'iv', password: ' p w ' } },
  };
  test('every channel has a sample, and parseConfig is idempotent', () => {
    assert.deepEqual(Object.keys(samples).sort(), [...channelTypes]);
    for (const [type, raw] of Object.entries(samples)) {
      const once = notifierFor(type).parseConfig(raw);
      assert.deepEqual(notifierFor(type).parseConfig(JSON.parse(JSON.stringify(once))), once, type);
    }
  });

  test('notifierFor finds channels and refuses unknown types with a field error', () => {
    assert.equal(notifierFor('slack'), notifiers.slack);
    for (const bad of ['sms', 'toString', '__proto__', '']) {
      assert.throws(
        () => notifierFor(bad),
        (e: unknown) => e instanceof AppError && e.code === 'validation_failed' && (e.details as { field: string }[])[0]!.field === 'type',
      );
    }
  });
});
