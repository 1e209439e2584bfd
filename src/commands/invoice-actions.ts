/**
 * `send_invoice`, `void_invoice`, `mark_uncollectible` on a Stripe_Invoice__c: one small
 * handler shape for the three (src/stripe/invoice-actions.ts holds Stripe's state rules). The
 * record's new status arrives with the events Stripe sends (invoice.voided,
 * invoice.marked_uncollectible), like any change made in Stripe; the Sync Log says at once what
 * was done or why not.
 */
import { PermanentError } from '../errors.js';
import type { OutboundResult } from '../outbound/process-request.js';
import { applyInvoiceAction, type InvoiceAction } from '../stripe/invoice-actions.js';
import { stripeRefusal } from '../stripe/service-port.js';
import type { CommandDefinition } from './command.js';
import type { CustomPermissionName } from './permissions.js';

const DONE: Readonly<Record<InvoiceAction, string>> = {
  send_invoice: 'sent to the customer again by Stripe',
  void_invoice: 'voided: nothing is owed on it any more',
  mark_uncollectible: 'marked uncollectible: Stripe stops collecting it',
};

function invoiceCommand(action: InvoiceAction, permission: CustomPermissionName, effect: string): CommandDefinition {
  return {
    name: action,
    recordTypes: [{ sobject: 'Stripe_Invoice__c', prefix: undefined }],
    permission,
    effect,
    idempotency: `sfbridge:<EventUuid>:${action}; an invoice already void or uncollectible counts as done`,
    writeBack: 'Stripe_Invoice__c status from the invoice events; Sync Log with the outcome',
    async run({ request, recordId }, ports): Promise<OutboundResult> {
      const base = { eventId: request.eventId, recordId, mode: action };
      const [row] = await ports.service.records.query(`SELECT Id, Stripe_Id__c, Number__c FROM Stripe_Invoice__c WHERE Id = '${recordId}'`);
      if (row === undefined) throw new PermanentError(`Stripe_Invoice__c ${recordId} does not exist or is not visible to the integration user`, { code: 'RECORD_NOT_FOUND' });
      const invoiceId = row['Stripe_Id__c'];
      if (typeof invoiceId !== 'string' || !invoiceId.startsWith('in_')) {
        return { ...base, outcome: 'rejected', code: 'INVOICE_ID_MISSING', reason: 'This record has no Stripe invoice id (Stripe_Id__c)' };
      }
      const name = typeof row['Number__c'] === 'string' ? `Invoice ${row['Number__c']}` : `Invoice ${invoiceId}`;
      let result;
      try {
        result = await ports.service.stripe.call((stripe) => applyInvoiceAction(stripe, action, invoiceId, `sfbridge:${request.eventId}:${action}`));
      } catch (err) {
        const refusal = stripeRefusal(err);
        if (refusal === undefined) throw err;
        return { ...base, outcome: 'rejected', code: 'STRIPE_REFUSED', reason: `Stripe refused: ${refusal.message} (${refusal.stripeCode})` };
      }
      if (result.kind === 'refused') return { ...base, outcome: 'rejected', code: 'INVOICE_STATE', reason: `${name} was not changed: ${result.reason}` };
      return { ...base, outcome: 'succeeded', invoiceId, stripeObjectId: invoiceId, stripeUrl: result.invoice.url ?? undefined, message: `${name} ${DONE[action]}.` };
    },
  };
}

export const sendInvoiceCommand = invoiceCommand('send_invoice', 'Stripe_Manage_Billing', 'Stripe emails the open invoice to the customer again');
export const voidInvoiceCommand = invoiceCommand('void_invoice', 'Stripe_Issue_Refunds', 'voids an open or uncollectible invoice (a paid one is refused: refund it)');
export const markUncollectibleCommand = invoiceCommand('mark_uncollectible', 'Stripe_Issue_Refunds', 'marks an open invoice uncollectible (bad debt); Stripe stops retrying it');
