/**
 * `retry`: on a Failed Stripe_Sync_Log__c record of a dead-lettered inbound event, once its cause
 * is fixed (a validation rule, a permission), re-fetch the event from Stripe's Events API, hand it
 * to the consumer as the ingress would, and remove its copies from the inbound DLQ
 * (sync-log/retry.ts, the core the `stripe-sf-bridge retry` CLI runs too). An admin needs no AWS
 * access: the quick action Retry on the record (screen flow Stripe_Retry_Failed_Event) publishes
 * Stripe_Command__e with Command__c = retry and Record_Id__c = the log record's id.
 */
import { TransientError } from '../errors.js';
import type { CommandDefinition } from './command.js';

export const retryCommand: CommandDefinition = {
  name: 'retry',
  // A custom object's key prefix differs from org to org: the dispatcher reads it from the
  // object's describe (records.keyPrefix, once per cold start), as for refund, and refuses any
  // other record before a query is made.
  recordTypes: [{ sobject: 'Stripe_Sync_Log__c', prefix: undefined }],
  // Re-delivering an event Stripe sent is harmless (the consumer deduplicates and applies
  // precedence), so whoever may publish Stripe_Command__e may ask for it.
  permission: undefined,
  effect: "the dead-lettered Stripe event the log record names, fetched again from Stripe's Events API and enqueued for the consumer; its DLQ copies removed",
  idempotency: 'none needed: Stripe is only read (Events: Read), and the consumer deduplicates the event',
  writeBack: "the event's own Stripe_Sync_Log__c shows Pending, then Succeeded or Failed with the new reason; the command's log says what was done",
  async run({ request, recordId }, ports) {
    const base = { eventId: request.eventId, recordId };
    if (ports.retryDeadLetter === undefined) {
      return { ...base, outcome: 'rejected', code: 'RETRY_NOT_CONFIGURED', reason: 'This deployment does not let the outbound function retry inbound events (INBOUND_QUEUE_URL, INBOUND_DLQ_URL): run stripe-sf-bridge retry instead' };
    }
    const eventId = await ports.records.syncLogEventId(recordId);
    if (eventId === undefined) {
      return { ...base, outcome: 'rejected', code: 'RECORD_TYPE_UNSUPPORTED', reason: `retry works on Stripe_Sync_Log__c records; ${recordId} is none (or the bridge cannot see it)` };
    }
    if (!eventId.startsWith('evt_')) {
      return { ...base, outcome: 'rejected', code: 'NOT_A_STRIPE_EVENT', reason: `The log record is about ${eventId === '' ? 'nothing' : eventId}, not a Stripe event (evt_…): only failed Stripe events can be retried` };
    }
    const result = await ports.retryDeadLetter(eventId, request.requestedBy);
    // Stripe or SQS unavailable: the outbound queue tries the command again with its backoff.
    if (result.outcome === 'failed' && result.transient === true) throw new TransientError(result.error ?? `${eventId} could not be retried`, { code: 'RETRY_UNAVAILABLE' });
    if (result.outcome === 'failed') return { ...base, outcome: 'rejected', code: 'RETRY_FAILED', reason: result.error ?? `${eventId} could not be retried` };
    const removed = result.dlqCopiesRemoved === undefined ? '' : `; ${result.dlqCopiesRemoved} dead-letter ${result.dlqCopiesRemoved === 1 ? 'copy' : 'copies'} removed`;
    return {
      ...base,
      outcome: 'succeeded',
      message: `Stripe event ${eventId} (${result.eventType ?? 'event'}) fetched again from Stripe and handed to the bridge${removed}. Its log shows Pending until the bridge has applied it.${result.warning === undefined ? '' : ` (${result.warning})`}`,
    };
  },
};
