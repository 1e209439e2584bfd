/**
 * The billing commands (`invoice`, `payment_link`, `checkout`) share one runner: each bills its
 * record once, in its mode, through the outbound billing core (src/outbound/process-request.ts).
 */
import type { BillableObject } from '../outbound/billable.js';
import { billRecord } from '../outbound/process-request.js';
import type { PaymentMode } from '../contracts/statuses.js';
import type { CommandDefinition, CommandRecordType } from './command.js';
import { KEY_PREFIX, REVENUE_OBJECTS } from './record-types.js';

export const REVENUE_RECORD_TYPES: readonly CommandRecordType[] = REVENUE_OBJECTS.map((sobject) => ({ sobject, prefix: KEY_PREFIX[sobject] }));

export const BILLING_WRITE_BACK_DOC =
  'Stripe_Payment_Status__c = Awaiting Payment, Stripe_Sync_Error__c cleared (or the reason), Stripe_Last_Synced_At__c; Account.Stripe_Customer_Id__c when a customer was created';

export function billingCommand(mode: PaymentMode, doc: Pick<CommandDefinition, 'effect' | 'idempotency' | 'writeBack'>): CommandDefinition {
  return {
    name: mode,
    recordTypes: REVENUE_RECORD_TYPES,
    permission: 'Stripe_Request_Payment',
    ...doc,
    run: ({ request, recordId, sobject }, ports) =>
      billRecord(
        {
          eventId: request.eventId,
          sobject: sobject as BillableObject,
          recordId,
          // The legacy event without Mode__c: the Opportunity's Stripe_Payment_Mode__c decides.
          mode: request.modeFromRecord ? undefined : mode,
          daysUntilDue: request.options.daysUntilDue,
          checkoutHours: request.options.expiresInHours,
          checkoutPages: { successUrl: request.options.successUrl, cancelUrl: request.options.cancelUrl },
          collectionMethod: request.options.collectionMethod,
          requestedAt: request.requestedAt,
        },
        ports,
      ),
  };
}
