// The email of one alert event: subject, plain-text body and HTML body. Everything from users (rule
// names, labels, annotations, comments, details, the org name) is HTML-escaped in the HTML body.
import { eventColour, eventLabel, eventSentence, formatLabels, formatValue, groupCounts, groupTitle, headline, oneLine, safeLink, title, truncatedLine } from '../format.js';
import type { AlertNotification } from '../notifier.js';
import { clip } from '../secrets.js';

export interface EmailContent {
  subject: string;
  text: string;
  html: string;
}

/** Subjects longer than this are cut: mail clients show far less, and some servers refuse long headers. */
export const maxSubjectLength = 250;

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The rows shown in both bodies, as [name, value] text. */
function facts(n: AlertNotification): [string, string][] {
  const a = n.alert;
  const rows: [string, string][] = [
    ['Severity', a.severity],
    ['State', a.state],
    ['Value', formatValue(a.value)],
    ['Rule', `${a.ruleName} (${a.ruleKind})`],
    ['Labels', formatLabels(a.labels)],
    ['Started', a.startsAt],
  ];
  if (a.endsAt) rows.push(['Ended', a.endsAt]);
  rows.push(['Organisation', n.org.name]);
  if (a.actor?.comment) rows.push(['Comment', a.actor.comment]);
  for (const [k, v] of Object.entries(a.annotations).sort(([x], [y]) => x.localeCompare(y))) rows.push([k, v]);
  for (const [k, v] of Object.entries(a.details).sort(([x], [y]) => x.localeCompare(y))) rows.push([k, clip(typeof v === 'string' ? v : JSON.stringify(v) ?? String(v), 500)]);
  return rows;
}

type GroupAlert = NonNullable<AlertNotification['group']>['alerts'][number];

/** The rows shown for one alert of a group. */
function alertRows(a: GroupAlert): [string, string][] {
  const rows: [string, string][] = [
    ['State', a.state],
    ['Severity', a.severity],
    ['Value', formatValue(a.value)],
    ['Labels', formatLabels(a.labels)],
    ['Started', a.startsAt],
  ];
  if (a.endsAt) rows.push(['Ended', a.endsAt]);
  for (const [k, v] of Object.entries(a.annotations).sort(([x], [y]) => x.localeCompare(y))) rows.push([k, v]);
  return rows;
}

/** The email of a group (Alertmanager-style): subject `[FIRING:3] High CPU (…)`, every listed alert with its facts. */
function groupEmailContent(n: AlertNotification, g: NonNullable<AlertNotification['group']>, subjectPrefix?: string): EmailContent {
  const heading = groupTitle(g);
  const subject = clip(oneLine(`${subjectPrefix ? `${subjectPrefix} ` : ''}${heading}`), maxSubjectLength);
  const counts = groupCounts(g);
  const intro = `${counts.firing} firing, ${counts.resolved} resolved, notified to ${g.receiver}.`;
  const more = truncatedLine(g, g.alerts.length);
  const groupLabels = formatLabels(g.labels);

  const text = [
    heading,
    intro,
    `Group: ${groupLabels}`,
    ...g.alerts.flatMap((a, i) => {
      const rows = alertRows(a);
      const width = Math.max(...rows.map(([k]) => k.length)) + 2;
      const link = safeLink(a.url);
      return ['', `${i + 1}. ${oneLine(a.summary)}`, ...rows.map(([k, v]) => `   ${`${k}:`.padEnd(width)}${v}`), ...(link ? [`   View the alert: ${link}`] : [])];
    }),
    ...(more ? ['', more] : []),
    '',
    '-- ',
    `IntentVision · ${n.org.name} · group ${g.key}`,
    '',
  ].join('\n');

  const colour = eventColour(n);
  const cell = 'padding:4px 12px 4px 0;vertical-align:top;';
  const alertHtml = (a: GroupAlert) => {
    const link = safeLink(a.url);
    const accent = a.state === 'resolved' ? '#2e7d32' : eventColour({ ...n, event: 'firing', alert: a });
    return `<div style="border-left:4px solid ${accent};padding:4px 12px;margin:12px 0;">
<p style="margin:0 0 4px;"><strong>${escapeHtml(a.summary)}</strong>${link ? ` · <a href="${escapeHtml(link)}">View</a>` : ''}</p>
<table style="border-collapse:collapse;font-size:14px;">
${alertRows(a).map(([k, v]) => `<tr><th align="left" style="${cell}color:#666;font-weight:normal;">${escapeHtml(k)}</th><td style="${cell}">${escapeHtml(v)}</td></tr>`).join('\n')}
</table>
</div>`;
  };
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222;">
<div style="border-left:6px solid ${colour};padding:8px 16px;max-width:720px;">
<p style="margin:0 0 4px;font-size:12px;font-weight:bold;color:${colour};letter-spacing:0.05em;">${escapeHtml(eventLabel[n.event])} · ${escapeHtml(g.receiver)}</p>
<h1 style="margin:0 0 8px;font-size:20px;">${escapeHtml(heading)}</h1>
<p style="margin:0 0 8px;">${escapeHtml(intro)} Group: ${escapeHtml(groupLabels)}</p>
${g.alerts.map(alertHtml).join('\n')}
${more ? `<p style="margin:8px 0 0;">${escapeHtml(more)}</p>` : ''}
<p style="margin:16px 0 0;font-size:12px;color:#888;">IntentVision · ${escapeHtml(n.org.name)} · group ${escapeHtml(g.key)}</p>
</div>
</body></html>
`;
  return { subject, text, html };
}

export function emailContent(n: AlertNotification, subjectPrefix?: string): EmailContent {
  if (n.group) return groupEmailContent(n, n.group, subjectPrefix);
  const a = n.alert;
  const subject = clip(oneLine(`${subjectPrefix ? `${subjectPrefix} ` : ''}${headline(n, maxSubjectLength)}`), maxSubjectLength);
  const link = safeLink(a.url);
  const rows = facts(n);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;

  const text = [
    title(n),
    a.summary,
    '',
    eventSentence(n),
    '',
    ...rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`),
    ...(link ? ['', `View the alert: ${link}`] : []),
    '',
    '-- ',
    `IntentVision · fingerprint ${a.fingerprint}`,
    '',
  ].join('\n');

  const colour = eventColour(n);
  const cell = 'padding:4px 12px 4px 0;vertical-align:top;';
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:16px;font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222;">
<div style="border-left:6px solid ${colour};padding:8px 16px;max-width:720px;">
<p style="margin:0 0 4px;font-size:12px;font-weight:bold;color:${colour};letter-spacing:0.05em;">${escapeHtml(eventLabel[n.event])} · ${escapeHtml(a.severity.toUpperCase())}</p>
<h1 style="margin:0 0 8px;font-size:20px;">${escapeHtml(a.ruleName)}</h1>
<p style="margin:0 0 8px;font-size:15px;"><strong>${escapeHtml(a.summary)}</strong></p>
<p style="margin:0 0 12px;">${escapeHtml(eventSentence(n))}</p>
<table style="border-collapse:collapse;font-size:14px;">
${rows.map(([k, v]) => `<tr><th align="left" style="${cell}color:#666;font-weight:normal;">${escapeHtml(k)}</th><td style="${cell}">${escapeHtml(v)}</td></tr>`).join('\n')}
</table>
${link ? `<p style="margin:16px 0 0;"><a href="${escapeHtml(link)}" style="background:${colour};color:#fff;padding:8px 14px;border-radius:4px;text-decoration:none;">View the alert</a></p>` : ''}
<p style="margin:16px 0 0;font-size:12px;color:#888;">IntentVision · fingerprint ${escapeHtml(a.fingerprint)}</p>
</div>
</body></html>
`;
  return { subject, text, html };
}
