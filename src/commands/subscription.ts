/**
 * `subscription` belongs to the subscriptions issue (recurring products of a Contract or an
 * Opportunity). Until it is built the command is declared, so the shipped Contract Flow has a
 * target and the requester reads why nothing happened, instead of "unknown command".
 */
import { REVENUE_RECORD_TYPES } from './billing-command.js';
import type { CommandDefinition } from './command.js';

export const SUBSCRIPTION_NOT_IMPLEMENTED = 'COMMAND_NOT_IMPLEMENTED';

export const subscriptionCommand: CommandDefinition = {
  name: 'subscription',
  recordTypes: REVENUE_RECORD_TYPES,
  permission: 'Stripe_Request_Payment',
  effect: 'not implemented yet: refused with COMMAND_NOT_IMPLEMENTED, nothing is called',
  idempotency: '—',
  writeBack: 'Stripe_Sync_Error__c explains',
  async run({ request, recordId, sobject }, ports) {
    const reason = 'The subscription command is not available in this version of the bridge; bill with invoice or checkout';
    await ports.records.recordSyncError(sobject as 'Contract', recordId, `Stripe billing failed: ${reason} [${SUBSCRIPTION_NOT_IMPLEMENTED}].`);
    return { eventId: request.eventId, recordId, outcome: 'rejected', mode: 'subscription', code: SUBSCRIPTION_NOT_IMPLEMENTED, reason };
  },
};
