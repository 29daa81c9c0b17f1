// The Slack message of one alert event: `text` (the notification and screen-reader fallback) and
// Block Kit `blocks` (header, summary with fields, context, a link button). Colour comes from the
// emoji: Slack draws colour bars only on legacy attachments, which Slack discourages, so the message
// stays pure Block Kit. Everything users wrote is escaped for mrkdwn (&, <, >), so a label cannot
// become a link or an @channel mention.
import { eventEmoji, eventLabel, eventSentence, formatLabels, formatValue, groupAlertLine, groupCounts, groupTitle, headline, oneLine, safeLink, truncatedLine } from '../format.js';
import type { AlertNotification } from '../notifier.js';
import { clip } from '../secrets.js';

/** Block Kit limits (characters; fields per section). */
export const slackLimits = { headerText: 150, sectionText: 3000, fieldText: 2000, fields: 10, buttonUrl: 3000, contextText: 2000 } as const;

export type SlackText = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };
export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'actions'; elements: { type: 'button'; text: SlackText; url: string; action_id: string }[] };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Escapes Slack's three control characters in mrkdwn text. */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const mrkdwn = (text: string, max: number): SlackText => ({ type: 'mrkdwn', text: clip(text, max) });
const field = (name: string, value: string): SlackText => mrkdwn(`*${name}*\n${escapeMrkdwn(value)}`, slackLimits.fieldText);

/** Slack's date formatting token, shown in the reader's time zone, with the ISO time as fallback. */
function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${escapeMrkdwn(iso)}>`;
}

/** Alerts listed one line each in a group message (the rest are counted): keeps it well inside Slack's 50 blocks. */
export const maxGroupLines = 40;
/** Characters of a summary and of the labels on one line of a group message. */
const groupLineParts = { summary: 150, labels: 200, url: 300 } as const;

/** Lines packed into as few section texts as Slack's limit allows, never splitting a line. */
function packLines(lines: string[]): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of lines) {
    if (current && current.length + 1 + line.length > slackLimits.sectionText) {
      out.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) out.push(current);
  return out;
}

/**
 * The message of a group (Alertmanager-style): header `🔴 [FIRING:3] High CPU (…)`, the counts and
 * receiver, one line per alert (firing first), and a context line.
 */
function slackGroupMessage(n: AlertNotification, g: NonNullable<AlertNotification['group']>): SlackMessage {
  const emoji = eventEmoji(n);
  const titleText = groupTitle(g);
  const counts = groupCounts(g);
  const shown = g.alerts.slice(0, maxGroupLines);
  const line = (a: (typeof g.alerts)[number]) => {
    const resolved = a.state === 'resolved';
    const mark = resolved ? '✅' : eventEmoji({ ...n, event: 'firing', alert: a });
    const link = safeLink(a.url);
    const summary = escapeMrkdwn(clip(oneLine(a.summary), groupLineParts.summary));
    const head = link && link.length <= groupLineParts.url ? `<${link}|${summary}>` : `*${summary}*`;
    const ended = resolved && a.endsAt ? ` · resolved ${slackDate(a.endsAt)}` : '';
    return `${mark} ${head} — ${escapeMrkdwn(clip(formatLabels(a.labels), groupLineParts.labels))} · value ${escapeMrkdwn(formatValue(a.value))}${ended}`;
  };
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(`${emoji} ${titleText}`, slackLimits.headerText), emoji: true } },
    { type: 'section', text: mrkdwn(escapeMrkdwn(`${counts.firing} firing, ${counts.resolved} resolved · ${g.receiver}`), slackLimits.sectionText) },
    ...packLines(shown.map(line)).map((text): SlackBlock => ({ type: 'section', text: mrkdwn(text, slackLimits.sectionText) })),
  ];
  const more = truncatedLine(g, shown.length);
  if (more) blocks.push({ type: 'section', text: mrkdwn(escapeMrkdwn(more), slackLimits.sectionText) });
  blocks.push({ type: 'context', elements: [mrkdwn(`${escapeMrkdwn(n.org.name)} · group \`${escapeMrkdwn(clip(g.key, 500))}\` · IntentVision`, slackLimits.contextText)] });
  return { text: clip(escapeMrkdwn(`${emoji} ${titleText}`), 3000), blocks };
}

export function slackMessage(n: AlertNotification): SlackMessage {
  if (n.group) return slackGroupMessage(n, n.group);
  const a = n.alert;
  const emoji = eventEmoji(n);
  const fields: SlackText[] = [
    field('Severity', a.severity),
    field('State', a.state),
    field('Value', formatValue(a.value)),
    field('Rule', `${a.ruleName} (${a.ruleKind})`),
    field('Labels', formatLabels(a.labels)),
    mrkdwn(`*Started*\n${slackDate(a.startsAt)}`, slackLimits.fieldText),
  ];
  if (a.endsAt) fields.push(mrkdwn(`*Ended*\n${slackDate(a.endsAt)}`, slackLimits.fieldText));

  const lines = [`*${escapeMrkdwn(oneLine(a.summary))}*`, escapeMrkdwn(eventSentence(n))];
  if (a.actor?.comment) lines.push(`> ${escapeMrkdwn(oneLine(a.actor.comment))}`);
  const description = a.annotations.description ?? a.annotations.summary;
  if (description) lines.push(escapeMrkdwn(description));

  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(oneLine(`${emoji} ${eventLabel[n.event]}: ${a.ruleName}`), slackLimits.headerText), emoji: true } },
    { type: 'section', text: mrkdwn(lines.join('\n'), slackLimits.sectionText), fields: fields.slice(0, slackLimits.fields) },
    { type: 'context', elements: [mrkdwn(`${escapeMrkdwn(n.org.name)} · fingerprint \`${escapeMrkdwn(a.fingerprint)}\` · IntentVision`, slackLimits.contextText)] },
  ];
  const link = safeLink(a.url);
  if (link && link.length <= slackLimits.buttonUrl) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'View alert' }, url: link, action_id: 'view_alert' }] });
  }
  return { text: escapeMrkdwn(`${emoji} ${headline(n, 300)}`), blocks };
}
