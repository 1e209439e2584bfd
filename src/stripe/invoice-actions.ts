/**
 * What an agent may do to an invoice (https://docs.stripe.com/api/invoices): send it again
 * (POST /v1/invoices/:id/send, a finalized invoice collected by `send_invoice`), void it
 * (POST …/void: "you can only void open or uncollectible invoices"; a paid invoice's money is
 * given back by a refund instead) or mark it uncollectible (POST …/mark_uncollectible: open
 * invoices only). The invoice is read first so a refusal names its real state; Stripe's own
 * refusal is the last word when the state changed in between.
 */
import type Stripe from 'stripe';
import { stripeCall } from './service-port.js';

export const INVOICE_ACTIONS = ['send_invoice', 'void_invoice', 'mark_uncollectible'] as const;
export type InvoiceAction = (typeof INVOICE_ACTIONS)[number];

/** Invoice states each action accepts, and why the others are refused (for the rep). */
export const ACCEPTS: Readonly<Record<InvoiceAction, { readonly statuses: readonly string[]; readonly otherwise: (status: string) => string }>> = {
  send_invoice: {
    statuses: ['open'],
    otherwise: (status) => (status === 'draft' ? 'it is a draft: finalize it first' : `it is ${status}: only an open invoice is sent to the customer`),
  },
  void_invoice: {
    statuses: ['open', 'uncollectible'],
    otherwise: (status) =>
      status === 'paid' ? 'it is paid: a paid invoice cannot be voided, refund its payment instead' : status === 'draft' ? 'it is a draft: delete it in Stripe instead' : `it is ${status}`,
  },
  mark_uncollectible: {
    statuses: ['open'],
    otherwise: (status) => `it is ${status}: only an open invoice can be marked uncollectible`,
  },
};

export type InvoiceActionResult =
  | { readonly kind: 'done'; readonly invoice: { readonly id: string; readonly status: string; readonly number: string | null; readonly url: string | null } }
  | { readonly kind: 'refused'; readonly status: string; readonly reason: string };

export async function applyInvoiceAction(stripe: Stripe, action: InvoiceAction, invoiceId: string, idempotencyKey: string): Promise<InvoiceActionResult> {
  const current = await stripeCall('invoices.retrieve', () => stripe.invoices.retrieve(invoiceId));
  const status = current.status ?? 'unknown';
  const accepted = ACCEPTS[action];
  // A void or uncollectible invoice that already is what was asked: a retried command, done.
  const alreadyDone = (action === 'void_invoice' && status === 'void') || (action === 'mark_uncollectible' && status === 'uncollectible');
  if (!alreadyDone && !accepted.statuses.includes(status)) return { kind: 'refused', status, reason: accepted.otherwise(status) };
  if (action === 'send_invoice' && current.collection_method !== 'send_invoice') {
    return { kind: 'refused', status, reason: 'Stripe charges this invoice automatically: it emails no invoice (send the hosted invoice URL instead)' };
  }
  const options = { idempotencyKey };
  const invoice = alreadyDone
    ? current
    : await stripeCall(`invoices.${action}`, () =>
        action === 'send_invoice'
          ? stripe.invoices.sendInvoice(invoiceId, {}, options)
          : action === 'void_invoice'
            ? stripe.invoices.voidInvoice(invoiceId, {}, options)
            : stripe.invoices.markUncollectible(invoiceId, {}, options),
      );
  return { kind: 'done', invoice: { id: invoice.id, status: invoice.status ?? status, number: invoice.number, url: invoice.hosted_invoice_url ?? null } };
}
