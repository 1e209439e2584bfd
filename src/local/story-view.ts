/**
 * The local stack's home page tells what happened, per Opportunity and per Account: a timeline in
 * words ("Invoice 7F3A-0001 for $49.99 sent", "Payment failed: card declined — Case opened",
 * "Paid"), amounts in their currency, links to the records and to the embedded Stripe's hosted
 * pages, and every skipped, stale or failed event with its reason. The raw tables are on /raw.
 * Ids, types, amounts, statuses and reasons only: no names, emails or bodies.
 */
import type { ActivityEntry } from './activity.js';
import { describeGuard } from './explain.js';
import { SOBJECT_LABELS } from './labels.js';
import { escapeHtml, type DeadLetterRow, type ServiceLine } from './views.js';

type SalesforceRecord = Readonly<Record<string, unknown>>;

export interface StoryPage {
  readonly services: readonly ServiceLine[];
  readonly queue: { readonly visible: number; readonly inFlight: number; readonly deadLettered: number; readonly outboundDeadLettered: number };
  readonly activity: readonly ActivityEntry[];
  /** The embedded Salesforce's records per object (already redacted); undefined when Salesforce is real. */
  readonly records: Readonly<Record<string, readonly SalesforceRecord[]>> | undefined;
  /** Where a record's page is: the local record view, or the real org's Lightning page. */
  readonly recordUrl: (sobject: string, id: string) => string;
  /** The embedded Stripe's invoice (number, amount) for the Closed Won sentence; undefined when unknown. */
  readonly invoice?: (id: string) => { readonly number?: string; readonly amount?: number; readonly currency?: string } | undefined;
  readonly deadLetters: readonly DeadLetterRow[];
  readonly refreshSeconds: number;
  readonly notice?: string | undefined;
  /** The org's corporate currency: an Account's figures are in it when the Account has no CurrencyIsoCode. */
  readonly corporateCurrency?: string | undefined;
}

/** An amount in minor units, formatted in its currency ("$49.99", "¥5,000", "KWD 1.250"). */
export function formatMoney(minor: number | undefined, currency: string | undefined): string | undefined {
  if (minor === undefined || currency === undefined) return undefined;
  const code = currency.toUpperCase();
  const digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  return formatMajor(minor / 10 ** digits, code);
}

/** An amount in major units (as Salesforce holds it), formatted in its currency. */
export function formatMajor(major: number | undefined, currency: string | undefined): string | undefined {
  if (major === undefined || currency === undefined || !Number.isFinite(major)) return undefined;
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).format(major);
  } catch {
    return `${major} ${currency.toUpperCase()}`;
  }
}

const time = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
const link = (href: string | undefined, text: string): string =>
  href === undefined ? escapeHtml(text) : `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;

/** A field's label as an admin reads it: `Stripe_Payment_Status__c` → `Stripe Payment Status`. */
export function fieldLabel(field: string): string {
  if (field === 'Id') return 'Record ID';
  return field.replace(/__c$/, '').replace(/Id$/, ' ID').replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim();
}

/** The sentence for one event: what happened in Stripe or Salesforce, without the outcome. */
function sentence(entry: ActivityEntry, page: StoryPage): string {
  const d = entry.digest ?? {};
  const amount = formatMoney(d.amount, d.currency);
  const invoiceName = d.number === undefined ? 'Invoice' : `Invoice ${d.number}`;
  const caseRecord = page.records?.['Case']?.find((c) => c.Stripe_Event_Id__c === entry.id);
  const caseText = caseRecord === undefined ? '' : ` — ${link(page.recordUrl('Case', String(caseRecord.Id)), 'Case')} opened`;
  const hosted = (text: string): string => link(d.hostedUrl, text);
  switch (entry.type) {
    case 'Stripe_Payment_Request__e':
      if (entry.status === 'invoiced') {
        const invoice = d.objectId === undefined ? undefined : page.invoice?.(d.objectId);
        const total = formatMoney(invoice?.amount, invoice?.currency);
        return `Closed Won: ${hosted(`Invoice ${invoice?.number ?? d.objectId ?? ''}`)}${total === undefined ? '' : ` for ${escapeHtml(total)}`} sent`;
      }
      if (entry.status === 'payment_link_created') return `Closed Won: ${hosted('payment link')} created`;
      return `Closed Won: payment request (${escapeHtml(entry.status)})`;
    case 'invoice.finalized':
      return `${hosted(invoiceName)}${amount === undefined ? '' : ` for ${escapeHtml(amount)}`} finalized and sent`;
    case 'invoice.paid':
      return `${hosted(invoiceName)} paid${amount === undefined ? '' : `: ${escapeHtml(amount)}`}`;
    case 'invoice.payment_failed':
      return `Payment failed${d.failure === undefined ? ': card declined' : `: ${escapeHtml(d.failure)}`} on ${hosted(invoiceName)}${caseText}`;
    case 'invoice.voided':
      return `${hosted(invoiceName)} voided`;
    case 'invoice.marked_uncollectible':
      return `${hosted(invoiceName)} marked uncollectible`;
    case 'payment_intent.succeeded':
      return `Paid${amount === undefined ? '' : ` ${escapeHtml(amount)}`}${d.card === undefined ? '' : ` (${escapeHtml(d.card)})`}`;
    case 'payment_intent.payment_failed':
      return `Payment failed${d.failure === undefined ? '' : `: ${escapeHtml(d.failure)}`}${caseText}`;
    case 'payment_intent.processing':
      return `Payment processing${amount === undefined ? '' : ` (${escapeHtml(amount)})`}`;
    case 'payment_intent.canceled':
      return 'Payment canceled';
    case 'checkout.session.completed':
      return `Checkout completed${amount === undefined ? '' : `: ${escapeHtml(amount)}`}`;
    case 'checkout.session.async_payment_succeeded':
      return 'Delayed payment succeeded';
    case 'checkout.session.async_payment_failed':
      return `Delayed payment failed${caseText}`;
    case 'checkout.session.expired':
      return 'Checkout session expired';
    case 'charge.refunded': {
      const refunded = formatMoney(d.amountRefunded, d.currency);
      return `Refunded${refunded === undefined ? '' : ` ${escapeHtml(refunded)}`}`;
    }
    case 'charge.dispute.created':
      return `Charge disputed${amount === undefined ? '' : `: ${escapeHtml(amount)}`}${d.reason === undefined ? '' : ` (${escapeHtml(d.reason)})`}`;
    case 'charge.dispute.closed':
      return `Dispute closed: ${escapeHtml(d.status === 'lost' ? 'lost — the money went back to the cardholder' : d.status === 'won' ? 'won' : (d.status ?? 'closed'))}`;
    case 'customer.subscription.created':
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const until = d.periodEnd === undefined ? '' : `, current period until ${new Date(d.periodEnd * 1000).toISOString().slice(0, 10)}`;
      const verb = entry.type.endsWith('created') ? 'started' : entry.type.endsWith('deleted') ? 'ended' : 'updated';
      return `Subscription ${escapeHtml(d.subscriptionId ?? d.objectId ?? '')} ${verb}: ${escapeHtml(d.status ?? '')}${escapeHtml(until)}`;
    }
    case 'customer.created':
    case 'customer.updated':
      return `Stripe customer ${escapeHtml(d.objectId ?? '')} ${entry.type.endsWith('created') ? 'created' : 'updated'}`;
    case 'webhook':
      return 'A webhook was refused';
    default:
      return escapeHtml(entry.type);
  }
}

const OK = new Set(['applied', 'invoiced', 'payment_link_created']);

function outcome(entry: ActivityEntry): { cls: string; text: string } {
  const note = entry.note === undefined ? '' : `: ${entry.note}`;
  if (OK.has(entry.status)) return { cls: 'ok', text: '' };
  switch (entry.status) {
    case 'queued':
      return { cls: 'wait', text: 'waiting for the consumer' };
    case 'stale':
      return { cls: 'skip', text: `skipped as stale${note}` };
    case 'duplicate':
      return { cls: 'skip', text: `skipped as a duplicate${note}` };
    case 'skipped':
    case 'ignored':
      return { cls: 'skip', text: `skipped${note}` };
    case 'retry':
      return { cls: 'wait', text: `will be retried${note}` };
    case 'dead_lettered':
      return { cls: 'bad', text: `failed, in the DLQ${note}` };
    case 'rejected':
      return { cls: 'bad', text: `rejected${note}` };
    default:
      return { cls: 'skip', text: `${entry.status}${note}` };
  }
}

function timelineItem(entry: ActivityEntry, page: StoryPage): string {
  const o = outcome(entry);
  return (
    `<li class="${o.cls}"><time>${escapeHtml(time(entry.firstSeenAt))}</time> ${sentence(entry, page)}` +
    `${o.text === '' ? '' : ` <span class="why">— ${escapeHtml(o.text)}</span>`} <code title="${escapeHtml(entry.type)}">${escapeHtml(entry.id)}</code></li>`
  );
}

/** The Opportunity an event is about: named in its metadata, or written by the consumer. */
function opportunityOf(entry: ActivityEntry): string | undefined {
  return entry.digest?.opportunityId ?? entry.records?.find((r) => r.startsWith('Opportunity:'))?.slice('Opportunity:'.length);
}

function accountOf(entry: ActivityEntry, page: StoryPage): string | undefined {
  if (entry.digest?.accountId !== undefined) return entry.digest.accountId;
  const customer = entry.digest?.customerId;
  return customer === undefined ? undefined : (page.records?.['Account']?.find((a) => a.Stripe_Customer_Id__c === customer)?.Id as string | undefined);
}

/** How many of an Account's latest events its card lists (the Opportunity timelines hold them all). */
const ACCOUNT_EVENTS = 6;

const HEALTH_CLASS: Readonly<Record<string, string>> = { Good: 'good', 'At Risk': 'risk', Delinquent: 'delinquent' };

/** The Account at a glance, as the bridge's roll-ups keep it on the Account (src/rollups). */
function accountGlance(account: SalesforceRecord, currency: string): string {
  const money = (field: string): string => formatMajor(account[field] as number | undefined, currency) ?? '—';
  const count = (field: string): number => (typeof account[field] === 'number' ? (account[field] as number) : 0);
  const lastAt = typeof account.Stripe_Last_Payment_At__c === 'string' ? account.Stripe_Last_Payment_At__c.slice(0, 10) : undefined;
  const health = typeof account.Stripe_Payment_Health__c === 'string' ? account.Stripe_Payment_Health__c : undefined;
  const reason = typeof account.Stripe_Payment_Health_Reason__c === 'string' && account.Stripe_Payment_Health_Reason__c !== '' ? account.Stripe_Payment_Health_Reason__c : undefined;
  const figure = (label: string, value: string, detail?: string): string =>
    `<div class="figure"><dt>${escapeHtml(label)}</dt><dd>${value}${detail === undefined ? '' : ` <small>${escapeHtml(detail)}</small>`}</dd></div>`;
  const unconverted = typeof account.Stripe_Unconverted_Amounts__c === 'string' && account.Stripe_Unconverted_Amounts__c !== '' ? account.Stripe_Unconverted_Amounts__c : undefined;
  return `<dl class="glance">
${figure('Lifetime paid', escapeHtml(money('Stripe_Lifetime_Paid__c')))}
${figure('Open balance', escapeHtml(money('Stripe_Open_Balance__c')), `${count('Stripe_Open_Invoices__c')} open invoice${count('Stripe_Open_Invoices__c') === 1 ? '' : 's'}`)}
${figure('MRR', escapeHtml(money('Stripe_MRR__c')), `${count('Stripe_Active_Subscriptions__c')} active subscription${count('Stripe_Active_Subscriptions__c') === 1 ? '' : 's'}`)}
${figure('Last payment', escapeHtml(lastAt === undefined ? '—' : money('Stripe_Last_Payment_Amount__c')), lastAt)}
${figure('Payment health', health === undefined ? '—' : `<span class="health ${HEALTH_CLASS[health] ?? ''}">${escapeHtml(health)}</span>`, reason)}
</dl>${unconverted === undefined ? '' : `<p class="sub">Not in the totals (no conversion rate): ${escapeHtml(unconverted)}</p>`}`;
}

function accountSection(account: SalesforceRecord, events: readonly ActivityEntry[], page: StoryPage): string {
  const id = String(account.Id);
  const currency = (account.CurrencyIsoCode as string | undefined) ?? page.corporateCurrency ?? 'USD';
  const customer = typeof account.Stripe_Customer_Id__c === 'string' ? account.Stripe_Customer_Id__c : undefined;
  const customerUrl = typeof account.Stripe_Customer_Url__c === 'string' ? account.Stripe_Customer_Url__c : undefined;
  const rolledUp = typeof account.Stripe_Rollup_At__c === 'string' ? ` · rolled up ${account.Stripe_Rollup_At__c.replace('T', ' ').replace(/\.\d+Z$|Z$|\+0000$/, '')} UTC` : '';
  const latest = [...events].sort((a, b) => b.firstSeenAt - a.firstSeenAt).slice(0, ACCOUNT_EVENTS);
  const more = events.length - latest.length;
  return `<section class="card account" id="account-${escapeHtml(id)}">
<h3>Account <code>${escapeHtml(id)}</code> · ${link(page.recordUrl('Account', id), 'Account record')}${customer === undefined ? '' : ` · Stripe customer ${link(customerUrl, customer)}`}</h3>
${accountGlance(account, currency)}
<p class="sub">Figures in ${escapeHtml(currency)}, recomputed by the bridge after each batch${escapeHtml(rolledUp)}.</p>
<h4>Latest events</h4>
${latest.length === 0 ? '<p class="empty">No events for this Account yet.</p>' : `<ol class="timeline latest">${latest.map((e) => timelineItem(e, page)).join('\n')}</ol>`}${more > 0 ? `<p class="sub">${more} earlier event${more === 1 ? '' : 's'}: see the Opportunities below, or every event on <a href="/raw">/raw</a>.</p>` : ''}
</section>`;
}

function opportunitySection(opportunity: SalesforceRecord, events: readonly ActivityEntry[], page: StoryPage): string {
  const id = String(opportunity.Id);
  const currency = (opportunity.CurrencyIsoCode as string | undefined) ?? 'USD';
  const amount = formatMajor(opportunity.Amount as number | undefined, currency);
  const status = opportunity.Stripe_Payment_Status__c;
  const links = [
    link(page.recordUrl('Opportunity', id), 'Opportunity record'),
    ...(typeof opportunity.Stripe_Invoice_Url__c === 'string' ? [link(opportunity.Stripe_Invoice_Url__c, 'hosted invoice')] : []),
    ...(typeof opportunity.Stripe_Payment_Link_Url__c === 'string' ? [link(opportunity.Stripe_Payment_Link_Url__c, 'payment link')] : []),
  ].join(' · ');
  const timeline = [...events].sort((a, b) => a.firstSeenAt - b.firstSeenAt).map((e) => timelineItem(e, page));
  const syncError = typeof opportunity.Stripe_Sync_Error__c === 'string' && opportunity.Stripe_Sync_Error__c !== '' ? `<p class="bad">Sync Error: ${escapeHtml(opportunity.Stripe_Sync_Error__c)}</p>` : '';
  return `<section class="card opportunity" id="opportunity-${escapeHtml(id)}">
<h3>Opportunity <code>${escapeHtml(id)}</code> · ${escapeHtml(opportunity.StageName ?? '')}${amount === undefined ? '' : ` · ${escapeHtml(amount)}`}
 · Payment Status: <span class="status">${escapeHtml(status ?? '—')}</span></h3>
<p class="links">${links}</p>${syncError}
${timeline.length === 0 ? '<p class="empty">Nothing has happened to it yet.</p>' : `<ol class="timeline">${timeline.join('\n')}</ol>`}
</section>`;
}

export function renderStoryPage(page: StoryPage): string {
  const refresh = page.refreshSeconds > 0 ? `<meta http-equiv="refresh" content="${page.refreshSeconds}">` : '';
  const opportunities = page.records?.['Opportunity'] ?? [];
  const knownOpportunities = new Set(opportunities.map((o) => String(o.Id)));
  const byOpportunity = new Map<string, ActivityEntry[]>();
  const byAccount = new Map<string, ActivityEntry[]>();
  /** Every event of an Account, its Opportunities' included: what its card's latest events come from. */
  const ofAccount = new Map<string, ActivityEntry[]>();
  const accountOfOpportunity = new Map(opportunities.map((o) => [String(o.Id), o.AccountId as string | undefined]));
  const other: ActivityEntry[] = [];
  for (const entry of page.activity) {
    const opportunityId = opportunityOf(entry);
    const accountId = accountOf(entry, page) ?? (opportunityId === undefined ? undefined : accountOfOpportunity.get(opportunityId));
    if (accountId !== undefined) ofAccount.set(accountId, [...(ofAccount.get(accountId) ?? []), entry]);
    if (opportunityId !== undefined && knownOpportunities.has(opportunityId)) byOpportunity.set(opportunityId, [...(byOpportunity.get(opportunityId) ?? []), entry]);
    else if (accountId !== undefined) byAccount.set(accountId, [...(byAccount.get(accountId) ?? []), entry]);
    else other.push(entry);
  }
  // Accounts linked to Stripe, or that events name: the most recently active first.
  const latestOfAccount = (id: string): number => Math.max(0, ...(ofAccount.get(id) ?? []).map((e) => e.updatedAt));
  const accounts = (page.records?.['Account'] ?? [])
    .filter((a) => typeof a.Stripe_Customer_Id__c === 'string' || ofAccount.has(String(a.Id)))
    .sort((a, b) => latestOfAccount(String(b.Id)) - latestOfAccount(String(a.Id)));
  const glanceSections = accounts.map((a) => accountSection(a, ofAccount.get(String(a.Id)) ?? [], page)).join('\n');
  const shownAccounts = new Set(accounts.map((a) => String(a.Id)));
  // The Opportunities something happened to first (most recent first), then the quiet ones.
  const latest = (id: string): number => Math.max(0, ...(byOpportunity.get(id) ?? []).map((e) => e.updatedAt));
  const ordered = [...opportunities].sort((a, b) => latest(String(b.Id)) - latest(String(a.Id)));
  const opportunitySections = ordered.map((o) => opportunitySection(o, byOpportunity.get(String(o.Id)) ?? [], page)).join('\n');
  // Events of an Account the embedded org does not show (a real org) keep their own timeline.
  const accountSections = [...byAccount]
    .filter(([id]) => !shownAccounts.has(id))
    .map(
      ([id, events]) => `<section class="card" id="account-${escapeHtml(id)}"><h3>Account <code>${escapeHtml(id)}</code> · ${link(page.recordUrl('Account', id), 'Account record')}</h3>
<ol class="timeline">${[...events].sort((a, b) => a.firstSeenAt - b.firstSeenAt).map((e) => timelineItem(e, page)).join('\n')}</ol></section>`,
    )
    .join('\n');
  const otherSection = other.length === 0 ? '' : `<section class="card"><h3>Not linked to a record</h3><ol class="timeline">${other.map((e) => timelineItem(e, page)).join('\n')}</ol></section>`;
  const dlq = page.deadLetters.length === 0
    ? '<p class="empty">Both dead-letter queues are empty.</p>'
    : `<table id="dlq-table"><thead><tr><th>Failed</th><th>DLQ</th><th>Event</th><th>Type</th><th>Why</th><th></th></tr></thead><tbody>${[...page.deadLetters]
        .reverse()
        .map(
          (row) =>
            `<tr><td>${escapeHtml(row.entry.failedAt === undefined ? '' : time(row.entry.failedAt))}</td><td>${escapeHtml(row.queue)}</td><td><code>${escapeHtml(row.entry.eventId ?? row.entry.messageId)}</code></td>` +
            `<td>${escapeHtml(row.entry.eventType ?? '')}</td><td>${escapeHtml(row.entry.failureCode === undefined ? row.entry.failureReason : `${row.entry.failureCode}: ${row.entry.failureReason.replace(`${row.entry.failureCode}: `, '')}`)}</td>` +
            `<td>${row.entry.eventId === undefined ? '' : `<form method="post" action="/dlq/replay"><input type="hidden" name="queue" value="${escapeHtml(row.queue)}"><input type="hidden" name="event" value="${escapeHtml(row.entry.eventId)}"><button type="submit">Replay</button></form>`}</td></tr>`,
        )
        .join('\n')}</tbody></table>`;
  const services = page.services.map((s) => `<span><b>${escapeHtml(s.name)}</b> ${escapeHtml(s.mode)}</span>`).join(' · ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${refresh}
<title>Stripe ⇄ Salesforce bridge — local</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.3rem;margin:0}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}h3{font-size:1rem;margin:0 0 .3rem}
.top{display:flex;justify-content:space-between;align-items:baseline;flex-wrap:wrap;gap:.5rem}.sub{color:#555}
.card{border:1px solid #ddd;border-radius:.5rem;padding:.7rem 1rem;margin:.6rem 0;background:#fff}
.timeline{margin:.3rem 0;padding-left:1.2rem}.timeline li{margin:.15rem 0}
time,code{font-size:12px;color:#666}.status{font-weight:600}.links{margin:.1rem 0 .3rem}
.ok::marker{color:#0a6b2b}.skip{color:#5c5c5c}.skip .why{color:#8a5a00}.wait .why{color:#8a5a00}.bad,.bad .why{color:#b00020}
.why{font-style:italic}.notice{background:#eef6ee;border:1px solid #bcd9bc;padding:.4rem .7rem;border-radius:.4rem}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
.empty{color:#666}form{margin:0}h4{font-size:.9rem;margin:.5rem 0 0}
.glance{display:flex;flex-wrap:wrap;gap:.4rem 1.6rem;margin:.3rem 0}.figure dt{font-size:12px;color:#555}.figure dd{margin:0;font-size:1.05rem;font-weight:600}
.figure small{font-weight:400;color:#555;font-size:12px}.health.good{color:#0a6b2b}.health.risk{color:#8a5a00}.health.delinquent{color:#b00020}
</style></head><body>
<div class="top"><h1>Stripe ⇄ Salesforce bridge — local stack</h1>
<nav><a href="/raw">Raw tables</a> · JSON: <a href="/events">events</a> · <a href="/salesforce/records">records</a> · <a href="/dlq">dlq</a></nav></div>
<p class="sub">${services} · queue: ${page.queue.visible} waiting, ${page.queue.inFlight} in flight · DLQs: ${page.queue.deadLettered} inbound, ${page.queue.outboundDeadLettered} outbound</p>
${page.notice === undefined ? '' : `<p class="notice" role="status">${escapeHtml(page.notice)}</p>`}
${glanceSections === '' ? '' : `<h2>Accounts at a glance</h2>\n${glanceSections}`}
<h2>Opportunities</h2>
${page.records === undefined ? '<p class="empty">Salesforce is real: its records are in your org; the events below are grouped by what they name.</p>' : ''}${opportunitySections}
${accountSections === '' ? '' : `<h2>Accounts</h2>\n${accountSections}`}
${otherSection}
<h2 id="dlq">Dead-letter queues</h2>
${dlq}
<p class="sub">Play a whole story: <code>npm run send-event -- story invoice-paid</code> (or card-declined-then-paid, refund, dispute-lost, subscription-renewal).</p>
</body></html>
`;
}

/** One record's fields with their labels (the redacted record: no names, emails or addresses). */
export function renderRecordPage(sobject: string, record: SalesforceRecord | undefined): string {
  const label = SOBJECT_LABELS[sobject] ?? sobject;
  const rows = record === undefined ? '' : Object.entries(record)
    .map(([field, value]) => `<tr><th>${escapeHtml(fieldLabel(field))}</th><td>${typeof value === 'string' && /^https?:\/\//.test(value) ? link(value, value) : escapeHtml(value)}</td></tr>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(label)}</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:1.5rem auto;max-width:48rem}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}th{background:#f4f4f4;font-weight:500}table{border-collapse:collapse}</style></head><body>
<p><a href="/">← the story</a></p>
<h1>${escapeHtml(label)} <code>${escapeHtml(record?.Id ?? '')}</code></h1>
${record === undefined ? '<p>No such record in the embedded Salesforce.</p>' : `<table>${rows}</table>`}
<p>${escapeHtml(describeGuard(`${sobject}:${String(record?.Id ?? '')}`))}: names, emails and addresses are not shown.</p>
</body></html>
`;
}
