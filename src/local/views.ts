/**
 * The local stack's raw tables (/raw, one click from the story page): recent events with their
 * outcome, the embedded Salesforce's records per object (redacted), and the dead-letter queues
 * with reasons. One self-contained HTML page (no scripts, no external assets); every value is
 * escaped.
 */
import type { DlqEntry } from '../ops/dlq-message.js';
import type { ActivityEntry } from './activity.js';

/** One dead-lettered message as `dlq peek` describes it, and which DLQ holds it. */
export interface DeadLetterRow {
  readonly queue: 'inbound' | 'outbound';
  readonly entry: DlqEntry;
}

export interface ServiceLine {
  readonly name: string;
  /** `real`, `embedded`, or for the webhook secret `generated` / `configured`. */
  readonly mode: string;
  readonly detail: string;
}

export interface HomePage {
  readonly services: readonly ServiceLine[];
  readonly queue: { readonly visible: number; readonly inFlight: number; readonly deadLettered: number; readonly outboundDeadLettered: number };
  readonly activity: readonly ActivityEntry[];
  /** Undefined when Salesforce is real: its records live in the org. */
  readonly records: Readonly<Record<string, ReadonlyArray<Record<string, unknown>>>> | undefined;
  readonly deadLetters: readonly DeadLetterRow[];
  /** How often the page reloads itself; 0 turns it off. */
  readonly refreshSeconds: number;
  /** What the last action did (a replay), shown once at the top. */
  readonly notice?: string | undefined;
}

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** Records show these first, in this order; other fields follow alphabetically. */
const LEADING_FIELDS = ['Id', 'Name', 'Stripe_Id__c', 'Status__c', 'StageName', 'Stripe_Payment_Status__c', 'Amount__c', 'Amount'];

const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function table(headers: readonly string[], rows: ReadonlyArray<readonly unknown[]>, empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const head = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function statusClass(status: string): string {
  if (['applied', 'invoiced', 'payment_link_created', 'queued', 'duplicate', 'skipped', 'ignored', 'stale'].includes(status)) return 'ok';
  if (status === 'retry') return 'warn';
  return 'bad';
}

function activitySection(activity: readonly ActivityEntry[]): string {
  if (activity.length === 0) {
    return '<p class="empty">No events yet. Run <code>npm run send-event -- payment_intent.succeeded</code>.</p>';
  }
  const rows = activity
    .map(
      (e) =>
        `<tr><td>${escapeHtml(time(e.updatedAt))}</td><td>${escapeHtml(e.source)}</td><td>${escapeHtml(e.type)}</td>` +
        `<td><code>${escapeHtml(e.id)}</code></td><td class="${statusClass(e.status)}">${escapeHtml(e.status)}</td>` +
        `<td>${escapeHtml(e.receiveCount ?? '')}</td><td>${escapeHtml(e.note ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<table><thead><tr><th>Updated</th><th>From</th><th>Type</th><th>Id</th><th>Outcome</th><th>Receives</th><th>Note</th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

function recordsSection(records: HomePage['records']): string {
  if (records === undefined) return '<p class="empty">Salesforce is real: look at the records in your org.</p>';
  return Object.entries(records)
    .map(([sobject, rows]) => {
      const fields = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((f) => f !== 'attributes');
      const ordered = [...LEADING_FIELDS.filter((f) => fields.includes(f)), ...fields.filter((f) => !LEADING_FIELDS.includes(f)).sort()];
      return `<h3>${escapeHtml(sobject)} <small>(${rows.length})</small></h3>\n${table(
        ordered,
        rows.map((r) => ordered.map((f) => r[f])),
        `No ${sobject} records yet.`,
      )}`;
    })
    .join('\n');
}

/** A replay button per entry: the page posts to /dlq/replay, which runs the CLI's selective replay. */
function replayButton(row: DeadLetterRow): string {
  if (row.entry.eventId === undefined) return '';
  return (
    `<form method="post" action="/dlq/replay" class="inline"><input type="hidden" name="queue" value="${escapeHtml(row.queue)}">` +
    `<input type="hidden" name="event" value="${escapeHtml(row.entry.eventId)}"><button type="submit">Replay</button></form>`
  );
}

function deadLetterSection(deadLetters: readonly DeadLetterRow[]): string {
  if (deadLetters.length === 0) return '<p class="empty">The dead-letter queues are empty.</p>';
  const rows = [...deadLetters]
    .reverse()
    .map(
      (row) =>
        `<tr><td>${escapeHtml(row.entry.failedAt === undefined ? '' : time(row.entry.failedAt))}</td><td>${escapeHtml(row.queue)}</td>` +
        `<td><code>${escapeHtml(row.entry.eventId ?? row.entry.messageId)}</code></td><td>${escapeHtml(row.entry.eventType ?? '')}</td>` +
        `<td>${escapeHtml(row.entry.receiveCount ?? '')}</td><td>${escapeHtml(row.entry.failureCode ?? '')}</td><td>${escapeHtml(row.entry.failureReason)}</td>` +
        `<td>${replayButton(row)}</td></tr>`,
    )
    .join('\n');
  return `<table id="dlq-table"><thead><tr><th>Failed</th><th>DLQ</th><th>Event</th><th>Type</th><th>Receives</th><th>Code</th><th>Reason</th><th></th></tr></thead><tbody>\n${rows}\n</tbody></table>`;
}

export function renderHomePage(page: HomePage): string {
  const refresh = page.refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${page.refreshSeconds}">` : '';
  const services = page.services
    .map((s) => `<li><b>${escapeHtml(s.name)}</b>: ${escapeHtml(s.mode)} — ${escapeHtml(s.detail)}</li>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${refresh}
<title>Stripe ⇄ Salesforce bridge — local</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1a1a1a}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}h3{font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top;max-width:32rem;overflow-wrap:anywhere}
th{background:#f4f4f4}.ok{color:#0a6b2b}.warn{color:#8a5a00}.bad{color:#b00020;font-weight:600}.empty{color:#666}code{font-size:12px}
</style></head><body>
<h1>Stripe ⇄ Salesforce bridge — local stack: raw tables</h1>
<p><a href="/">← the story</a></p>
${page.notice === undefined ? '' : `<p class="notice" role="status">${escapeHtml(page.notice)}</p>`}
<ul>
${services}
<li><b>Queue</b>: ${page.queue.visible} waiting, ${page.queue.inFlight} in flight, ${page.queue.deadLettered} in the inbound DLQ, ${page.queue.outboundDeadLettered} in the outbound DLQ</li>
</ul>
<p>JSON: <a href="/events">/events</a> · <a href="/salesforce/records">/salesforce/records</a> · <a href="/dlq">/dlq</a> · <a href="/healthz">/healthz</a></p>
<h2>Recent events</h2>
${activitySection(page.activity)}
<h2>Salesforce records</h2>
${recordsSection(page.records)}
<h2 id="dlq">Dead-letter queues</h2>
${deadLetterSection(page.deadLetters)}
</body></html>
`;
}
