/**
 * A Stripe account with history (stand-in lists, read with a read-only restricted key), the
 * consumer with its dedup table and Salesforce (stand-ins), and the backfill wired as the CLI
 * wires it, with its checkpoint and failure files in a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Stripe from 'stripe';
import { createLogger } from '../../src/logging.js';
import { SAMPLE_ACCOUNT_ID, SAMPLE_OPPORTUNITY_ID, sampleEvent } from '../../src/local/sample-events.js';
import { startStripeStandIn, type StripeStandIn } from '../../src/local/standins/stripe-standin.js';
import { createBackfillPorts, type BackfillAppDeps } from '../../src/reconcile/backfill-app.js';
import { runBackfill, type BackfillOptions, type BackfillPorts, type BackfillResult } from '../../src/reconcile/backfill.js';
import { OBJECT_KINDS } from '../../src/reconcile/stripe-objects.js';
import { createStripeClient } from '../../src/stripe/client.js';
import { startConsumerHarness, type ConsumerHarness } from '../support/consumer-harness.js';
import { LogCapture } from '../support/log-capture.js';

/** Everything the backfill reads, and nothing more: a read-only restricted key. */
export const BACKFILL_PERMISSIONS = {
  customer: 'read',
  subscription: 'read',
  invoice: 'read',
  payment_intent: 'read',
  charge: 'read',
  refund: 'read',
  dispute: 'read',
  // Which payment link a PaymentIntent came from (the trust step, src/billing/trust.ts).
  checkout_session: 'read',
} as const;

/** What a test may change in the wiring: a dry run, Ctrl-C, how records reach Salesforce. */
export type WorldOverrides = Partial<BackfillPorts> & { dryRun?: boolean; stop?: () => boolean; writes?: BackfillAppDeps['writes'] };

export interface BackfillWorld {
  readonly consumer: ConsumerHarness;
  readonly stripe: StripeStandIn;
  readonly stripeClient: Stripe;
  readonly dir: string;
  readonly logs: LogCapture;
  readonly opportunityIds: readonly string[];
  ports(overrides?: WorldOverrides): BackfillPorts;
  run(options?: Partial<BackfillOptions>, overrides?: WorldOverrides): Promise<BackfillResult>;
  close(): Promise<void>;
}

export const DAY = 86_400;

export async function startBackfillWorld(): Promise<BackfillWorld> {
  const consumer = await startConsumerHarness();
  const stripe = await startStripeStandIn({ now: () => Math.floor(consumer.nowMs / 1000) });
  const key = stripe.restrictedKey(BACKFILL_PERMISSIONS);
  const stripeClient = createStripeClient(key, { apiUrl: stripe.url, maxNetworkRetries: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'backfill-test-'));
  const logs = new LogCapture();
  consumer.salesforce.insert('Account', { Id: SAMPLE_ACCOUNT_ID, Name: 'Linked Account' });
  const opportunityIds = [SAMPLE_OPPORTUNITY_ID, ...Array.from({ length: 4 }, (_, i) => `006Ab00000Backfi0${i}`)];
  for (const id of opportunityIds) consumer.salesforce.insert('Opportunity', { Id: id, Name: `Deal ${id}`, StageName: 'Closed Won', Amount: 49.99 });

  const world: BackfillWorld = {
    consumer,
    stripe,
    stripeClient,
    dir,
    logs,
    opportunityIds,
    ports(overrides = {}) {
      const { dryRun, stop, writes, ...rest } = overrides;
      const base = createBackfillPorts({
        stripe: (_action, op) => op(stripeClient),
        pace: async () => undefined,
        dynamo: consumer.dynamo.client,
        tableName: consumer.dynamo.tableName,
        salesforce: consumer.app.session,
        salesforceApiVersion: '64.0',
        logger: createLogger({ service: 'backfill', level: 'debug', destination: logs }),
        now: () => consumer.nowMs,
        sleep: async () => undefined,
        checkpointPath: join(dir, 'checkpoint.json'),
        failuresPath: join(dir, 'failures.jsonl'),
        progress: () => undefined,
        stopRequested: stop ?? (() => false),
        dryRun: dryRun ?? false,
        ...(writes === undefined ? {} : { writes }),
      });
      return { ...base, ...rest };
    },
    run(options = {}, overrides = {}) {
      return runBackfill(world.ports({ ...overrides, dryRun: options.dryRun ?? overrides.dryRun }), {
        since: Math.floor(consumer.nowMs / 1000) - 365 * DAY,
        objects: OBJECT_KINDS,
        batchSize: 10,
        maxSalesforceCalls: 10_000,
        dryRun: false,
        restart: false,
        ...options,
      });
    },
    async close() {
      rmSync(dir, { recursive: true, force: true });
      await Promise.all([consumer.close(), stripe.close()]);
    },
  };
  return world;
}

const objectOf = <T>(type: string, options: Parameters<typeof sampleEvent>[1]): T => sampleEvent(type, options).data.object as unknown as T;

/**
 * A year of history: customers linked to the Account, subscriptions (one canceled), invoices in
 * every status (drafts are not loaded), payments (one still waiting), refunds and disputes.
 */
export function seedHistory(world: BackfillWorld, size = 12): void {
  const lists = world.stripe.lists;
  const now = Math.floor(world.consumer.nowMs / 1000);
  const at = (i: number) => now - 300 * DAY + i * 7 * DAY;
  const opportunity = (i: number) => world.opportunityIds[i % world.opportunityIds.length] as string;
  const metadata = (i: number) => ({ salesforce_opportunity_id: opportunity(i), salesforce_account_id: SAMPLE_ACCOUNT_ID });
  lists.seed('customers', { ...objectOf<Stripe.Customer>('customer.updated', { objectId: 'cus_bf_linked' }), created: at(0) });
  const invoiceStatuses = ['paid', 'open', 'void', 'uncollectible', 'draft'] as const;
  for (let i = 0; i < size; i++) {
    lists.seed('subscriptions', {
      ...objectOf<Stripe.Subscription>(i === 0 ? 'customer.subscription.deleted' : 'customer.subscription.updated', { objectId: `sub_bf_${i}`, metadata: metadata(i) }),
      created: at(i),
    });
    const status = invoiceStatuses[i % invoiceStatuses.length] as string;
    lists.seed('invoices', {
      ...objectOf<Stripe.Invoice>('invoice.finalized', { objectId: `in_bf_${i}`, metadata: metadata(i), amount: 1000 + i }),
      status,
      ...(status === 'paid' ? { amount_paid: 1000 + i, amount_remaining: 0 } : {}),
      created: at(i) + 1,
    });
    const charge = { ...objectOf<Stripe.Charge>('charge.succeeded', { objectId: `ch_bf_${i}`, paymentIntent: `pi_bf_${i}`, metadata: metadata(i), amount: 2000 + i }), created: at(i) + 2 };
    lists.seed('charges', charge);
    const waiting = i === size - 2;
    lists.seed('payment_intents', {
      ...objectOf<Stripe.PaymentIntent>(waiting ? 'payment_intent.payment_failed' : 'payment_intent.succeeded', { objectId: `pi_bf_${i}`, metadata: metadata(i), amount: 2000 + i }),
      ...(waiting ? { status: 'requires_payment_method' } : {}),
      latest_charge: charge.id,
      created: at(i) + 2,
    });
    if (i % 4 === 1) {
      lists.update('charges', charge.id, { amount_refunded: 500, refunded: false });
      lists.seed('refunds', { id: `re_bf_${i}`, object: 'refund', amount: 500, charge: charge.id, payment_intent: `pi_bf_${i}`, currency: 'usd', status: 'succeeded', created: at(i) + 3 });
    }
    if (i % 4 === 3) {
      lists.seed('disputes', {
        ...objectOf<Stripe.Dispute>(i % 8 === 3 ? 'charge.dispute.created' : 'charge.dispute.closed', { objectId: `dp_bf_${i}`, paymentIntent: `pi_bf_${i}`, amount: 2000 + i }),
        charge: charge.id,
        created: at(i) + 4,
      });
    }
  }
}

const EXTERNAL_KEYS = ['Stripe_Id__c', 'Stripe_Event_Id__c', 'Stripe_Customer_Id__c'];
/** When a record was saved, not what it holds: two runs that end alike differ in these. */
const SAVE_TIMES = new Set(['Id', 'SystemModstamp', 'Stripe_Rollup_At__c', 'Stripe_Rollup_Version__c']);

/**
 * The Salesforce state a backfill leaves: every record by object and key, with record ids replaced
 * by the key of the record they point at (ids are assigned by each stand-in).
 */
export function salesforceState(world: BackfillWorld): Record<string, Record<string, unknown>> {
  const objects = ['Account', 'Opportunity', 'Order', 'Case', 'Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c'];
  const labels = new Map<string, string>();
  const rows = objects.flatMap((sobject) => world.consumer.salesforce.records(sobject).map((row) => ({ sobject, row })));
  for (const { sobject, row } of rows) {
    const key = EXTERNAL_KEYS.map((k) => row[k]).find((v) => typeof v === 'string') ?? row['Name'];
    labels.set(String(row['Id']), `${sobject}:${String(key)}`);
  }
  const state: Record<string, Record<string, unknown>> = {};
  for (const { row } of rows) {
    const label = labels.get(String(row['Id'])) as string;
    state[label] = Object.fromEntries(
      Object.entries(row)
        .filter(([field]) => !SAVE_TIMES.has(field))
        .map(([field, value]) => [field, typeof value === 'string' && labels.has(value) ? labels.get(value) : value]),
    );
  }
  return state;
}
