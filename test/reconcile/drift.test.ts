/**
 * The drift report through the stand-ins: Stripe's lists (read-only key), Salesforce's SOQL
 * (`Stripe_Id__c IN (…)`), and for --fix the consumer applying what was enqueued.
 */
import type { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { SAMPLE_ACCOUNT_ID, sampleEvent } from '../../src/local/sample-events.js';
import type { InboundRecord } from '../../src/inbound/ports.js';
import { createDriftPorts } from '../../src/reconcile/drift-app.js';
import { driftReport, type DriftReport } from '../../src/reconcile/drift.js';
import { DRIFT_KINDS } from '../../src/reconcile/drift-kinds.js';
import { DAY, seedHistory, startBackfillWorld, type BackfillWorld, type WorldOverrides } from './backfill-support.js';

let world: BackfillWorld;
let sent: SendMessageCommand[];

beforeEach(async () => {
  world = await startBackfillWorld();
  sent = [];
  seedHistory(world, 16);
});
afterEach(async () => {
  await world.close();
});

/** Loads the seeded history into Salesforce as the backfill does (the tests that compare start with it). */
const backfill = (overrides: WorldOverrides = {}) => world.run({ batchSize: 500 }, overrides);

function driftPorts(w: BackfillWorld = world) {
  return createDriftPorts({
    stripe: (_action, op) => op(w.stripeClient),
    pace: async () => undefined,
    salesforce: w.consumer.app.session,
    dynamo: w.consumer.dynamo.client,
    tableName: w.consumer.dynamo.tableName,
    logger: createLogger({ service: 'drift', level: 'warn', destination: w.logs }),
    now: () => w.consumer.nowMs,
    queue: {
      sqs: {
        send: async (command) => {
          sent.push(command);
          return { MessageId: `m${sent.length}`, $metadata: {} };
        },
      },
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/111122223333/inbound',
    },
  });
}

function report(fix = false, w: BackfillWorld = world): Promise<DriftReport> {
  return driftReport(driftPorts(w), { since: Math.floor(w.consumer.nowMs / 1000) - 365 * DAY, kinds: DRIFT_KINDS, fix });
}

describe('drift report', () => {
  it('finds nothing after a backfill: Salesforce shows what Stripe holds', async () => {
    await backfill();
    const clean = await report();
    expect(clean.differences).toEqual([]);
    expect(clean.compared).toEqual({ payments: 15, invoices: 13, subscriptions: 16 });
  });

  it('finds nothing after a backfill through Bulk API 2.0 jobs either', async () => {
    await backfill({ writes: { mode: 'bulk' } });
    expect(world.consumer.salesforce.requests.some((r) => r.path.endsWith('/jobs/ingest'))).toBe(true);
    const clean = await report();
    expect(clean.differences).toEqual([]);
    expect(clean.compared).toEqual({ payments: 15, invoices: 13, subscriptions: 16 });
  });

  it('expects what the consumer believes: its trust step judges every event (one code path)', async () => {
    const [billed, unbilled] = world.opportunityIds as [string, string];
    await world.consumer.bill(billed, { stripeObjectId: 'in_bf_0', amount: 1000 });
    const event = (opportunityId: string, objectId: string) =>
      sampleEvent('invoice.paid', { objectId, metadata: { salesforce_opportunity_id: opportunityId, salesforce_account_id: SAMPLE_ACCOUNT_ID }, amount: 1000 });
    const ports = driftPorts();
    const opportunityWrite = async (json: unknown) => {
      const { result } = await ports.interpret(json);
      return result.outcome === 'mapped' ? result.effect.mutations.find((m) => m.sobject === 'Opportunity')?.fields : undefined;
    };

    // Its own bill moves the Opportunity; a payment it did not bill only leaves a sync error.
    expect(await opportunityWrite(event(billed, 'in_bf_0'))).toMatchObject({ Stripe_Payment_Status__c: 'Paid' });
    const refused = await opportunityWrite(event(unbilled, 'in_bf_1'));
    expect(refused).not.toHaveProperty('Stripe_Payment_Status__c');
    expect(String(refused?.['Stripe_Sync_Error__c'])).toContain('not its bill');
  });

  it('finds a planted difference of each kind, and --fix makes Salesforce agree through the pipeline', async () => {
    await backfill();
    const lists = world.stripe.lists;
    const now = Math.floor(world.consumer.nowMs / 1000);
    // A record missing: an invoice whose webhook never arrived.
    lists.seed('invoices', {
      ...(sampleEvent('invoice.paid', { objectId: 'in_missing', metadata: { salesforce_account_id: SAMPLE_ACCOUNT_ID } }).data.object as object),
      created: now - DAY,
    });
    // A status: the invoice was voided in Stripe; a subscription went past due.
    lists.update('invoices', 'in_bf_1', { status: 'void', amount_remaining: 0 });
    lists.update('subscriptions', 'sub_bf_2', { status: 'past_due' });
    // Amounts: a payment's amount edited in Salesforce; a refund Salesforce never heard of.
    const payment = world.consumer.salesforce.records('Stripe_Payment__c').find((r) => r['Stripe_Id__c'] === 'pi_bf_2');
    const connection = await world.consumer.app.session.connection();
    await connection.sobject('Stripe_Payment__c').update({ Id: String(payment?.['Id']), Amount__c: 25 });
    lists.update('charges', 'ch_bf_4', { amount_refunded: 700 });

    const found = await report(true);

    const summary = found.differences.map((d) => `${d.stripeId} ${d.field}: ${String(d.stripe)} ≠ ${String(d.salesforce)}`).sort();
    expect(summary).toEqual(
      [
        'in_missing record: present ≠ missing',
        'in_bf_1 Status__c: Void ≠ Open',
        'in_bf_1 Amount_Remaining__c: 0 ≠ 10.01',
        'sub_bf_2 Status__c: Past Due ≠ Active',
        'pi_bf_2 Amount__c: 20.02 ≠ 25',
        'pi_bf_4 Status__c: Partially Refunded ≠ Succeeded',
        'pi_bf_4 Amount_Refunded__c: 7 ≠ 0',
      ].sort(),
    );
    expect([...found.fixed].sort()).toEqual(['in_bf_1', 'in_missing', 'pi_bf_2', 'pi_bf_4', 'sub_bf_2']);

    // The consumer applies what --fix enqueued, as it would webhooks.
    const records: InboundRecord[] = sent.map((command, i) => ({
      messageId: `fix-${i}`,
      body: command.input.MessageBody ?? '',
      receiveCount: 1,
      messageAttributes: Object.fromEntries(Object.entries(command.input.MessageAttributes ?? {}).map(([k, v]) => [k, { stringValue: v.StringValue, dataType: v.DataType }])),
    }));
    const applied = await world.consumer.app.handle(records);
    expect([...applied.outcomes.values()].every((o) => o === 'applied')).toBe(true);
    sent.length = 0;
    expect((await report()).differences).toEqual([]);
  });
});
