/**
 * The pages the embedded Stripe hands out in `hosted_invoice_url` and a payment link's `url`, so
 * the links the bridge writes back to Salesforce open something locally (Stripe's own pages need
 * no API key either). A summary only: number, status, amount in its currency, lines, due date.
 */
import { toMajorUnits, minorUnitDigits } from '../../money.js';

type Json = Record<string, unknown>;

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (value: unknown): string => String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

export function formatMinor(amount: unknown, currency: unknown): string {
  const code = String(currency ?? 'usd');
  const minor = typeof amount === 'number' ? amount : 0;
  return `${toMajorUnits(minor, code).toFixed(minorUnitDigits(code))} ${code.toUpperCase()}`;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;color:#1a1a1a}.badge{padding:.1rem .5rem;border-radius:.5rem;background:#eef}
.note{color:#666;font-size:13px}td{padding:.2rem .6rem .2rem 0}</style></head><body>${body}
<p class="note">Embedded Stripe stand-in of the local stack: a summary of what Stripe's hosted page would show.</p></body></html>`;
}

export function invoicePage(invoice: Json): string {
  const lines = ((invoice.lines as { data?: Json[] } | undefined)?.data ?? [])
    .map((line) => `<tr><td>${escape(line.description)}</td><td>${escape(line.quantity)}</td><td>${escape(formatMinor(line.amount, line.currency))}</td></tr>`)
    .join('');
  const due = typeof invoice.due_date === 'number' ? new Date(invoice.due_date * 1000).toISOString().slice(0, 10) : '—';
  return page(
    `Invoice ${String(invoice.number ?? invoice.id)}`,
    `<h1>Invoice ${escape(invoice.number ?? invoice.id)} <span class="badge">${escape(invoice.status)}</span></h1>
<p>Amount due <b>${escape(formatMinor(invoice.amount_due, invoice.currency))}</b> · paid ${escape(formatMinor(invoice.amount_paid, invoice.currency))} · due ${escape(due)}</p>
<table>${lines}</table>`,
  );
}

export function paymentLinkPage(link: Json): string {
  const items = (link.line_items as Json[] | undefined) ?? [];
  const total = items.reduce((sum, item) => sum + Number(item.amount ?? 0) * Number(item.quantity ?? 1), 0);
  return page(
    'Payment link',
    `<h1>Pay ${escape(formatMinor(total, link.currency))} <span class="badge">${link.active === false ? 'inactive' : 'active'}</span></h1>
<p>Payment link ${escape(link.id)} · ${items.length} item${items.length === 1 ? '' : 's'}</p>`,
  );
}
