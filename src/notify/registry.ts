// Every notification channel, one line each. A channel folder under src/notify/ that is missing here
// fails registry.test.ts.
import { AppError } from '../core/errors.js';
import { alertmanagerNotifier } from './alertmanager/notifier.js';
import { emailNotifier } from './email/notifier.js';
import type { Notifier } from './notifier.js';
import { pagerDutyNotifier } from './pagerduty/notifier.js';
import { slackNotifier } from './slack/notifier.js';
import { webhookNotifier } from './webhook/notifier.js';

/** Channels by `type` (the key equals the notifier's `type`). */
export const notifiers: Record<string, Notifier> = {
  email: emailNotifier,
  slack: slackNotifier,
  webhook: webhookNotifier,
  pagerduty: pagerDutyNotifier,
  alertmanager: alertmanagerNotifier,
};

/** The registered channel types, sorted. */
export const channelTypes: readonly string[] = Object.keys(notifiers).sort();

/** The notifier of `type`; throws AppError 'validation_failed' (field `type`) for an unknown one. */
export function notifierFor(type: string): Notifier {
  const notifier = Object.hasOwn(notifiers, type) ? notifiers[type] : undefined;
  if (!notifier) {
    throw new AppError('validation_failed', `Unknown channel type ${JSON.stringify(type)}: use one of ${channelTypes.join(', ')}`, [
      { field: 'type', message: `must be one of ${channelTypes.join(', ')}` },
    ]);
  }
  return notifier;
}
