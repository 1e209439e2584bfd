/**
 * Which Cases the bridge opened for which Stripe invoice or PaymentIntent, and which of those
 * objects were paid, in the dedup table:
 *
 * - `cases#<stripeId>`: the Ids of the Cases opened for the object's failures and of their
 *   recovery Tasks (string sets `caseIds`, `taskIds`, added to with UpdateItem ADD, so concurrent
 *   failures never overwrite each other);
 * - `paid#<stripeId>`: the payment that settled it (event id, what, amount, when).
 *
 * Why DynamoDB and not a Stripe-id field on the Case queried in the write's Composite: a query
 * would cost a Salesforce subrequest for every payment, although few payments ever had a failure
 * Case, and a second Composite to close what it found; and two consumers holding two events of
 * one payment (`invoice.paid` and the `checkout.session.async_payment_succeeded` of its session,
 * or a redelivery) would both find the same open Case and both comment (a CaseComment has no
 * external id to upsert on). Here a payment costs its share of one
 * BatchWriteItem and one BatchGetItem per batch and no Salesforce call unless a Case is open; who
 * comments is decided by a conditional claim (dedup/run-once) per Case.
 *
 * Under concurrency both sides write first, then read the other side's items (strongly
 * consistent): the failure after its Case was created, the payment after its write was applied.
 * Whatever the interleaving, of a Case and a payment of one object at least one side sees the
 * other, so an opened Case is never left open after its object was paid.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { batchGet, batchPut, dynamoFailure, type Item } from './batch.js';

/** Integer minor units and a lower-case ISO 4217 code, as Stripe sends them. */
export interface MinorAmount {
  readonly minor: number;
  readonly currency: string;
}

export interface PaidFact {
  readonly stripeId: string;
  readonly eventId: string;
  /** What was paid, as a rep reads it: `invoice INV-0042`, `payment pi_123`. */
  readonly what: string;
  readonly amount: MinorAmount | undefined;
  /** Seconds since the epoch. */
  readonly paidAt: number;
}

/** What a failure opened for an object: its Case, its recovery Task, or both. */
export interface OpenedCase {
  readonly stripeId: string;
  readonly caseId?: string | undefined;
  readonly taskId?: string | undefined;
}

export interface CaseExchange {
  /** For each paid object: the Cases ever opened for it. */
  readonly casesOf: ReadonlyMap<string, readonly string[]>;
  /** For each paid object: the recovery Tasks ever created for it. */
  readonly tasksOf: ReadonlyMap<string, readonly string[]>;
  /** For each object a Case was opened for: its payment, when one is known. */
  readonly paidOf: ReadonlyMap<string, PaidFact>;
}

export interface CaseLedgerPort {
  /** Records opened Cases and payments, then reads what the other side recorded (see above). */
  exchange(opened: readonly OpenedCase[], paid: readonly PaidFact[]): Promise<CaseExchange>;
}

export interface CaseLedgerOptions {
  readonly tableName: string;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}

/**
 * How long the ledger remembers. A failure Case can wait months for its invoice to be paid
 * (a net-90 invoice, a customer who pays late), so the memory is long; a later payment is then
 * not matched and its Case stays open for a rep to close.
 */
export const CASE_LEDGER_DAYS = 400;

const casesKey = (stripeId: string) => `cases#${stripeId}`;
const paidKey = (stripeId: string) => `paid#${stripeId}`;

export class CaseLedger implements CaseLedgerPort {
  private readonly now: () => number;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly options: CaseLedgerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  async exchange(opened: readonly OpenedCase[], paid: readonly PaidFact[]): Promise<CaseExchange> {
    if (opened.length === 0 && paid.length === 0) return { casesOf: new Map(), tasksOf: new Map(), paidOf: new Map() };
    const expiresAt = { N: String(Math.floor(this.now() / 1000) + CASE_LEDGER_DAYS * 86_400) };
    // One fact per object (BatchWriteItem refuses two puts of one key); any payment will do.
    const facts = [...new Map(paid.map((p) => [p.stripeId, p])).values()];
    await Promise.all([
      ...opened.map((c) => this.addCase(c, expiresAt)),
      facts.length === 0 ? Promise.resolve() : batchPut(this.client, this.options.tableName, facts.map((f) => toItem(f, expiresAt)), 'write of payments'),
    ]);
    const keys = [...paid.map((p) => casesKey(p.stripeId)), ...opened.map((c) => paidKey(c.stripeId))];
    const items = await batchGet(this.client, this.options.tableName, keys, 'read of Cases and payments');
    const casesOf = new Map<string, string[]>();
    const tasksOf = new Map<string, string[]>();
    for (const p of paid) {
      const item = items.get(casesKey(p.stripeId));
      casesOf.set(p.stripeId, item?.['caseIds']?.SS ?? []);
      tasksOf.set(p.stripeId, item?.['taskIds']?.SS ?? []);
    }
    const paidOf = new Map<string, PaidFact>();
    for (const c of opened) {
      const item = items.get(paidKey(c.stripeId));
      if (item !== undefined) paidOf.set(c.stripeId, fromItem(c.stripeId, item));
    }
    return { casesOf, tasksOf, paidOf };
  }

  private async addCase(opened: OpenedCase, expiresAt: { N: string }): Promise<void> {
    // A string set cannot be empty: only the ids this failure has are added.
    const adds = [opened.caseId === undefined ? undefined : 'caseIds :case', opened.taskId === undefined ? undefined : 'taskIds :task'].filter((a) => a !== undefined);
    if (adds.length === 0) return;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: casesKey(opened.stripeId) } },
          UpdateExpression: `ADD ${adds.join(', ')} SET expiresAt = :expiresAt`,
          ExpressionAttributeValues: {
            ...(opened.caseId === undefined ? {} : { ':case': { SS: [opened.caseId] } }),
            ...(opened.taskId === undefined ? {} : { ':task': { SS: [opened.taskId] } }),
            ':expiresAt': expiresAt,
          },
        }),
      );
    } catch (err) {
      throw dynamoFailure('write of an opened Case', err);
    }
  }
}

function toItem(fact: PaidFact, expiresAt: { N: string }): Item {
  return {
    pk: { S: paidKey(fact.stripeId) },
    eventId: { S: fact.eventId },
    what: { S: fact.what },
    paidAt: { N: String(fact.paidAt) },
    ...(fact.amount === undefined ? {} : { amountMinor: { N: String(fact.amount.minor) }, currency: { S: fact.amount.currency } }),
    expiresAt,
  };
}

function fromItem(stripeId: string, item: Item): PaidFact {
  const minor = item['amountMinor']?.N;
  const currency = item['currency']?.S;
  return {
    stripeId,
    eventId: item['eventId']?.S ?? '',
    what: item['what']?.S ?? stripeId,
    amount: minor !== undefined && currency !== undefined ? { minor: Number(minor), currency } : undefined,
    paidAt: Number(item['paidAt']?.N ?? 0),
  };
}
