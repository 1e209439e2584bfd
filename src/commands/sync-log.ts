/**
 * Stripe_Sync_Log__c as the command channel writes it: one row per command, upserted on
 * Event_Id__c (the command's identity), so a retried command updates its one log. The message is
 * for the requester: what happened, or why not and what to do.
 */
import type { SyncLogStatus } from '../contracts/statuses.js';
import type { OutboundResult } from '../outbound/process-request.js';
import type { CommandRequest } from './command-request.js';
import { isUserId } from './permissions.js';

/** Message__c is a long text area of 32,768 characters. */
const MAX_MESSAGE = 32_768;

export interface SyncLogEntry {
  readonly request: CommandRequest;
  readonly status: Exclude<SyncLogStatus, 'Pending'>;
  readonly message: string;
  readonly stripeObjectId?: string | undefined;
  readonly stripeUrl?: string | undefined;
  /** Milliseconds since the epoch. */
  readonly completedAt: number;
}

export function syncLogFields(entry: SyncLogEntry): Record<string, string | null> {
  const { request } = entry;
  return {
    Event_Id__c: request.eventId,
    Event_Type__c: request.detailType,
    Command__c: request.command?.slice(0, 255) ?? null,
    Record_Id__c: request.recordId?.slice(0, 18) ?? null,
    Stripe_Object_Id__c: entry.stripeObjectId ?? null,
    Stripe_Url__c: entry.stripeUrl ?? null,
    Status__c: entry.status,
    Message__c: entry.message.slice(0, MAX_MESSAGE),
    // A lookup: only a user id, or Salesforce refuses the whole log.
    Requested_By__c: isUserId(request.requestedBy) ? request.requestedBy : null,
    Requested_At__c: request.requestedAt === undefined ? null : new Date(request.requestedAt * 1000).toISOString(),
    Completed_At__c: new Date(entry.completedAt).toISOString(),
  };
}

/** What a billing command's result means to the requester. */
export function logOfResult(result: OutboundResult): Pick<SyncLogEntry, 'status' | 'message' | 'stripeObjectId' | 'stripeUrl'> {
  switch (result.outcome) {
    case 'invoiced':
      return {
        status: 'Succeeded',
        message: `Invoice ${result.invoiceId ?? ''} created and sent by Stripe${result.reason === undefined ? '' : ` (${result.reason})`}.`,
        stripeObjectId: result.invoiceId,
        stripeUrl: result.invoiceUrl,
      };
    case 'payment_link_created':
      return { status: 'Succeeded', message: `Payment link ${result.paymentLinkId ?? ''} created; send it to the customer.`, stripeObjectId: result.paymentLinkId, stripeUrl: result.paymentLinkUrl };
    case 'checkout_created':
      return { status: 'Succeeded', message: `Checkout link created (${result.checkoutSessionId ?? ''}); send it to the customer before it expires.`, stripeObjectId: result.checkoutSessionId, stripeUrl: result.checkoutUrl };
    case 'subscription_created':
      return result.checkoutUrl === undefined
        ? {
            status: 'Succeeded',
            message: `Subscription ${result.subscriptionId ?? ''} created; its first invoice ${result.invoiceId ?? ''} was sent by Stripe${result.reason === undefined ? '' : ` (${result.reason})`}.`,
            stripeObjectId: result.subscriptionId,
            stripeUrl: result.invoiceUrl,
          }
        : {
            status: 'Succeeded',
            message: `Checkout link for the subscription created (${result.checkoutSessionId ?? ''}); the customer enters a card once, before it expires.`,
            stripeObjectId: result.checkoutSessionId,
            stripeUrl: result.checkoutUrl,
          };
    case 'succeeded':
      return { status: 'Succeeded', message: result.message ?? 'Done.', stripeObjectId: result.stripeObjectId, stripeUrl: result.stripeUrl };
    case 'duplicate':
      return {
        status: 'Skipped',
        message: result.reason ?? 'Already billed: nothing was sent to Stripe. To bill again, void the invoice or deactivate the link in Stripe first.',
        stripeObjectId: result.invoiceId ?? result.paymentLinkId,
        stripeUrl: result.invoiceUrl ?? result.paymentLinkUrl,
      };
    case 'rejected':
      return { status: 'Failed', message: `${result.reason ?? 'Refused'} [${result.code ?? 'REJECTED'}]` };
    default: {
      const unknown: never = result.outcome;
      return { status: 'Failed', message: String(unknown) };
    }
  }
}
