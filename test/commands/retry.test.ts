/**
 * The `retry` command on a Failed Stripe_Sync_Log__c record, through the command channel: a
 * `Stripe_Command__e` (Command__c = retry, Record_Id__c = the log record) → the outbound function
 * re-fetches the event from Stripe's Events API (stand-in), enqueues it to the inbound queue as the
 * ingress would, removes its DLQ copy (SQS modelled by aws-sdk-client-mock on the client instance
 * the app is given) and marks its dead-letter marker retried (dynalite), so the log shows Pending;
 * the command's own log says so.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SAMPLE_ACCOUNT_ID, sampleEvent } from '../../src/local/sample-events.js';
import { dynamoDeadLetterLog } from '../../src/sync-log/dead-letter-log.js';
import { startOutboundHarness, type OutboundHarness } from '../outbound/harness.js';
import { FakeSqs, fakeClock, inboundMessage, INBOUND_DLQ, INBOUND_QUEUE, queueUrl } from '../ops/support.js';
import { commandEvent } from './support.js';

let h: OutboundHarness;
let sqs: FakeSqs;

beforeAll(async () => {
  h = await startOutboundHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.reset();
  sqs = new FakeSqs(fakeClock());
  h.coldStart({ INBOUND_QUEUE_URL: queueUrl(INBOUND_QUEUE), INBOUND_DLQ_URL: queueUrl(INBOUND_DLQ) }, { sqs: sqs.client });
});
afterEach(() => {
  sqs.restore();
});

const logOf = (event: { detail: { payload: { EventUuid: string } } }) => h.salesforce.records('Stripe_Sync_Log__c').find((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`);

async function deadLettered(eventId: string): Promise<string> {
  const event = sampleEvent('invoice.paid', { id: eventId, created: Math.floor(h.nowMs / 1000) - 3600, metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } });
  h.stripe.registerEvent(event);
  const failure = { code: 'SALESFORCE_FIELD_CUSTOM_VALIDATION_EXCEPTION', reason: 'PO number required', failedAt: new Date(h.nowMs - 60_000) };
  sqs.seed(queueUrl(INBOUND_DLQ), [inboundMessage({ eventId: 'evt_other_failure', type: 'invoice.paid', failure }), inboundMessage({ eventId, type: 'invoice.paid', failure })]);
  await dynamoDeadLetterLog(h.dynamo.client, h.dynamo.tableName, () => h.nowMs).record({
    eventId,
    eventType: 'invoice.paid',
    created: event.created,
    livemode: false,
    objectId: 'in_retry_1',
    recordId: undefined,
    records: [],
    code: failure.code,
    reason: failure.reason,
    message: 'A validation rule refused it',
    failedAt: failure.failedAt.getTime(),
  });
  // The record the housekeeping run wrote for it.
  return h.salesforce.insert('Stripe_Sync_Log__c', { Event_Id__c: eventId, Event_Type__c: 'invoice.paid', Command__c: 'inbound_event', Status__c: 'Failed' });
}

describe('retry command on a Stripe_Sync_Log__c record', () => {
  it('re-fetches the event from Stripe, enqueues it, removes its DLQ copy; the log goes Pending and the command log says so', async () => {
    const logId = await deadLettered('evt_retry_cmd_1');
    const command = commandEvent('retry', logId);

    const result = await h.app.handle(command);

    expect(result).toMatchObject({ outcome: 'succeeded', command: 'retry', sobject: 'Stripe_Sync_Log__c' });
    const inbound = sqs.queue(queueUrl(INBOUND_QUEUE));
    expect(inbound).toHaveLength(1);
    expect(JSON.parse(inbound[0]?.message.Body ?? '{}')).toMatchObject({ id: 'evt_retry_cmd_1', type: 'invoice.paid' });
    expect(inbound[0]?.message.MessageAttributes?.['stripe_event_id']?.StringValue).toBe('evt_retry_cmd_1');
    expect(sqs.ids(queueUrl(INBOUND_DLQ))).toEqual(['msg-evt_other_failure']);
    const marker = (await dynamoDeadLetterLog(h.dynamo.client, h.dynamo.tableName, () => h.nowMs).read(['evt_retry_cmd_1'])).get('evt_retry_cmd_1');
    expect(marker).toMatchObject({ state: 'retried', requestedBy: command.detail.payload.Requested_By__c });
    expect(logOf(command)).toMatchObject({ Status__c: 'Succeeded', Command__c: 'retry', Record_Id__c: logId });
    expect(String(logOf(command)?.Message__c)).toContain('evt_retry_cmd_1 (invoice.paid) fetched again from Stripe');
  });

  it('refuses a record that is no sync log, a log of no Stripe event, and an event Stripe no longer has; enqueues nothing', async () => {
    const opportunityId = h.salesforce.insert('Opportunity', { Name: 'Deal', StageName: 'Closed Won' });
    const wrongRecord = await h.app.handle(commandEvent('retry', opportunityId));
    // Refused by the org's key prefix of Stripe_Sync_Log__c (its describe), before any query.
    expect(wrongRecord).toMatchObject({ outcome: 'rejected', code: 'RECORD_TYPE_UNSUPPORTED' });
    expect(String((wrongRecord as { reason?: string }).reason)).toContain(`key prefix ${opportunityId.slice(0, 3)}`);
    expect(h.salesforce.requests.some((r) => r.method === 'GET' && r.path.endsWith('/sobjects/Stripe_Sync_Log__c/describe'))).toBe(true);
    const commandLog = h.salesforce.insert('Stripe_Sync_Log__c', { Event_Id__c: 'sf:5f2c0b8e-command', Command__c: 'invoice', Status__c: 'Failed' });
    expect(await h.app.handle(commandEvent('retry', commandLog))).toMatchObject({ outcome: 'rejected', code: 'NOT_A_STRIPE_EVENT' });
    const gone = h.salesforce.insert('Stripe_Sync_Log__c', { Event_Id__c: 'evt_older_than_30_days', Command__c: 'inbound_event', Status__c: 'Failed' });
    const refused = commandEvent('retry', gone);
    expect(await h.app.handle(refused)).toMatchObject({ outcome: 'rejected', code: 'RETRY_FAILED' });
    expect(String(logOf(refused)?.Message__c)).toContain('dlq replay --event-id evt_older_than_30_days');
    expect(sqs.queue(queueUrl(INBOUND_QUEUE))).toHaveLength(0);
  });

  it('says what is missing when the deployment did not give the outbound function the inbound queues', async () => {
    h.coldStart();
    const logId = await deadLettered('evt_retry_cmd_2');
    expect(await h.app.handle(commandEvent('retry', logId))).toMatchObject({ outcome: 'rejected', code: 'RETRY_NOT_CONFIGURED' });
    expect(sqs.queue(queueUrl(INBOUND_QUEUE))).toHaveLength(0);
  });
});
