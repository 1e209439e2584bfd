/**
 * Failures visible and retryable in Salesforce, through the stand-ins: an event the consumer
 * dead-letters (a validation rule refuses it) shows as a Failed Stripe_Sync_Log__c record with the
 * reason in words; the reconciler leaves it alone; a retry re-fetches it from Stripe's Events API
 * (stand-in), enqueues it, removes the DLQ copy, and the log goes Pending, then Succeeded.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type Stripe from 'stripe';
import { createLogger } from '../../src/logging.js';
import { SAMPLE_ACCOUNT_ID, SAMPLE_OPPORTUNITY_ID, sampleEvent } from '../../src/local/sample-events.js';
import { startStripeStandIn, type StripeStandIn } from '../../src/local/standins/stripe-standin.js';
import { dynamoEventLedger } from '../../src/reconcile/event-ledger.js';
import { SalesforceWriter } from '../../src/salesforce/writer.js';
import { createStripeClient } from '../../src/stripe/client.js';
import { dynamoDeadLetterLog, type DeadLetterLog } from '../../src/sync-log/dead-letter-log.js';
import { failureInWords } from '../../src/sync-log/failure-words.js';
import { flushSyncLogs, type FlushResult } from '../../src/sync-log/flush.js';
import { retryDeadLetteredEvent, type RetryPorts } from '../../src/sync-log/retry.js';
import { inboundRecord, startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';
import { LogCapture } from '../support/log-capture.js';

let h: ConsumerHarness;
let stripe: StripeStandIn;
let log: DeadLetterLog;
const logs = new LogCapture();

beforeEach(async () => {
  h = await startConsumerHarness();
  stripe = await startStripeStandIn({ now: () => Math.floor(h.nowMs / 1000) });
  h.salesforce.insert('Account', { Id: SAMPLE_ACCOUNT_ID, Name: 'Sample Account Ltd' });
  h.salesforce.insert('Opportunity', { Id: SAMPLE_OPPORTUNITY_ID, Name: 'Deal', StageName: 'Closed Won', Amount: 49.99 });
  log = dynamoDeadLetterLog(h.dynamo.client, h.dynamo.tableName, () => h.nowMs);
});
afterEach(async () => {
  await Promise.all([h.close(), stripe.close()]);
});

const flush = (): Promise<FlushResult> =>
  flushSyncLogs({
    log,
    writer: new SalesforceWriter(h.app.session, { apiVersion: '64.0' }),
    now: () => h.nowMs,
    logger: createLogger({ service: 'housekeeping', destination: logs }),
  });

const syncLog = (eventId: string) => h.salesforce.records('Stripe_Sync_Log__c').find((r) => r['Event_Id__c'] === eventId);

function invoiceEvent(): Stripe.Event {
  const event = sampleEvent('invoice.paid', { objectId: 'in_synclog_1', created: Math.floor(h.nowMs / 1000) - 600 });
  stripe.registerEvent(event);
  return event;
}

/** The retry's ports: Stripe's Events API (stand-in, read-only key), a captured queue, the harness DLQ. */
function retryPorts(sent: string[]): RetryPorts {
  const client = createStripeClient(stripe.restrictedKey({ event: 'read' }), { apiUrl: stripe.url, maxNetworkRetries: 0 });
  return {
    fetchEvent: async (eventId) => {
      const event = await client.events.retrieve(eventId);
      return { json: JSON.stringify(event), summary: { id: event.id, type: event.type, created: event.created, livemode: event.livemode, apiVersion: event.api_version ?? undefined } };
    },
    enqueue: async (json) => {
      sent.push(json);
    },
    removeDlqCopies: async (eventId) => {
      const before = h.deadLetters.length;
      h.deadLetters.splice(0, h.deadLetters.length, ...h.deadLetters.filter((d) => !d.record.body.includes(eventId)));
      return before - h.deadLetters.length;
    },
    log,
  };
}

describe('Stripe_Sync_Log__c for dead-lettered events', () => {
  it('shows a failure in words an admin can act on, with the records it was about', async () => {
    const event = invoiceEvent();
    h.salesforce.failRecord('Stripe_Invoice__c', 'in_synclog_1', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Invoices need a PO number', 10);
    await h.app.handle([inboundRecord(event, { receiveCount: 1 })]);
    expect(h.deadLetters).toHaveLength(1);

    const result = await flush();

    expect(result).toMatchObject({ open: 1, written: 1, resolved: 0 });
    expect(syncLog(event.id)).toMatchObject({
      Event_Type__c: 'invoice.paid',
      Command__c: 'inbound_event',
      Status__c: 'Failed',
      Record_Id__c: SAMPLE_OPPORTUNITY_ID,
      Stripe_Object_Id__c: 'in_synclog_1',
      Stripe_Url__c: `https://dashboard.stripe.com/test/events/${event.id}`,
    });
    const message = String(syncLog(event.id)?.['Message__c']);
    expect(message).toMatch(/^A validation rule in Salesforce refused the change \(.*Invoices need a PO number.*\)\. Adjust the rule or the record it names, then retry\./);
    expect(message).toContain(`Stripe_Invoice__c in_synclog_1, Opportunity ${SAMPLE_OPPORTUNITY_ID}`);
    // Written once: the next run has nothing to change.
    expect((await flush()).written).toBe(0);
    // The reconciler does not enqueue what waits in the DLQ.
    const states = await dynamoEventLedger(h.dynamo.client, h.dynamo.tableName, () => h.nowMs).states([event.id]);
    expect(states.get(event.id)).toBe('dead_lettered');
  });

  it('retries from Stripe once the cause is fixed: Pending, then Succeeded, the DLQ copy gone', async () => {
    const event = invoiceEvent();
    h.salesforce.failRecord('Stripe_Invoice__c', 'in_synclog_1', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Invoices need a PO number', 10);
    await h.app.handle([inboundRecord(event)]);
    await flush();
    h.salesforce.clearFailures();

    const sent: string[] = [];
    const retried = await retryDeadLetteredEvent(retryPorts(sent), event.id);

    expect(retried).toMatchObject({ outcome: 'enqueued', eventType: 'invoice.paid', dlqCopiesRemoved: 1, logged: true });
    expect(JSON.parse(sent[0] ?? '{}')).toMatchObject({ id: event.id, type: 'invoice.paid' });
    expect(h.deadLetters).toHaveLength(0);
    await flush();
    expect(syncLog(event.id)).toMatchObject({ Status__c: 'Pending', Completed_At__c: null });
    expect(String(syncLog(event.id)?.['Message__c'])).toMatch(/^Retry requested on .*: the event was fetched again from Stripe/);

    await h.app.handle([{ ...inboundRecord(event), body: sent[0] ?? '' }]);
    const done = await flush();

    expect(done).toMatchObject({ written: 1, resolved: 1 });
    expect(syncLog(event.id)).toMatchObject({ Status__c: 'Succeeded' });
    expect(h.salesforce.records('Stripe_Invoice__c').find((r) => r['Stripe_Id__c'] === 'in_synclog_1')).toMatchObject({ Status__c: 'Paid' });
    expect(await log.open()).toEqual([]);
  });

  it('shows a retry that fails again as Failed with the new reason', async () => {
    const event = invoiceEvent();
    h.salesforce.failRecord('Stripe_Invoice__c', 'in_synclog_1', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Invoices need a PO number', 10);
    await h.app.handle([inboundRecord(event)]);
    await flush();
    h.salesforce.clearFailures();
    h.salesforce.failRecord('Stripe_Invoice__c', 'in_synclog_1', 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', 'bad value for restricted picklist field: Paid', 10);

    const sent: string[] = [];
    await retryDeadLetteredEvent(retryPorts(sent), event.id);
    await h.app.handle([{ ...inboundRecord(event), body: sent[0] ?? '' }]);
    await flush();

    expect(syncLog(event.id)).toMatchObject({ Status__c: 'Failed' });
    expect(String(syncLog(event.id)?.['Message__c'])).toMatch(/^A picklist in Salesforce does not allow the value the bridge writes/);
  });

  it('says why when Stripe no longer has the event', async () => {
    const result = await retryDeadLetteredEvent(retryPorts([]), 'evt_gone_long_ago');
    expect(result).toMatchObject({ outcome: 'failed' });
    expect(result.error).toMatch(/Stripe does not know evt_gone_long_ago \(it keeps events 30 days\): replay the DLQ copy instead/);
  });
});

describe('failure words', () => {
  it('explains each common refusal with what to do, and quotes what Salesforce said', () => {
    expect(failureInWords('SALESFORCE_REQUIRED_FIELD_MISSING', 'Required fields are missing: [PO__c]')).toMatch(/^A field Salesforce requires was empty \(Required fields are missing: \[PO__c\]\)/);
    expect(failureInWords('SALESFORCE_INVALID_FIELD', 'No such column')).toMatch(/assign the Stripe Bridge Integration permission set/);
    expect(failureInWords('EVENT_SCHEMA_INVALID', 'data.object.amount (invalid_type)')).toMatch(/API version/);
    expect(failureInWords('SOMETHING_ELSE', 'odd')).toBe('The bridge could not apply this Stripe event: odd (SOMETHING_ELSE). Fix the cause, then retry.');
  });
});
