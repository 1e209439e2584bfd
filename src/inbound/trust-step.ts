/**
 * The consumer's trust step (src/billing/trust.ts), wired around its `expand` and `interpret`
 * ports so the batch core stays as it is: while an event is expanded (the asynchronous step),
 * it is interpreted once, the billing records of the Opportunities and Orders it names are
 * loaded (one BatchGetItem for the whole batch, loader.ts), the payment link a PaymentIntent came
 * from is read when a link billing needs it, and the verdicts are applied; `interpret` then
 * returns that trusted result for the same event object. An event that names no record costs
 * nothing more than its interpretation, which is not repeated.
 */
import { coalescingLoader, type LoadBillings } from '../billing/loader.js';
import { paymentFacts } from '../billing/payment-facts.js';
import { billingKey } from '../billing/record.js';
import type { BillingStore } from '../billing/store.js';
import { applyTrust, namedRecords, paidThroughCheckout } from '../billing/trust.js';
import type { Logger } from '../logging.js';
import type { ConsumerPorts, InterpretedEvent } from './ports.js';

export interface TrustStepDeps {
  readonly loadBillings: LoadBillings;
  /**
   * The payment link whose Checkout Session created this PaymentIntent, or else that Checkout
   * Session (null: none); undefined when the consumer has no Stripe key to ask with.
   */
  readonly paymentLinkOfIntent: ((paymentIntentId: string) => Promise<string | null>) | undefined;
  readonly logger: Logger;
  /**
   * How loud a record the event was not believed for is logged: `warn` live (someone may be
   * forging metadata), `debug` for a backfill of history (the records say it already).
   */
  readonly noteLevel?: 'warn' | 'debug';
}

/** The billing records of a DynamoDB store, read per batch. */
export function batchedBillings(store: Pick<BillingStore, 'getMany'>): LoadBillings {
  return coalescingLoader((keys) => store.getMany(keys));
}

/** A PaymentIntent's origin never changes: remembered for the life of the execution environment. */
export function cachedLookup(lookup: (id: string) => Promise<string | null>, capacity = 1000): (id: string) => Promise<string | null> {
  const known = new Map<string, string | null>();
  return async (id) => {
    const cached = known.get(id);
    if (cached !== undefined) return cached;
    const found = await lookup(id);
    if (known.size >= capacity) known.delete(known.keys().next().value as string);
    known.set(id, found);
    return found;
  };
}

export function withTrust(
  ports: Pick<ConsumerPorts, 'expand' | 'interpret'>,
  deps: TrustStepDeps,
): Pick<ConsumerPorts, 'expand' | 'interpret'> {
  const trusted = new WeakMap<object, InterpretedEvent>();

  const expand: ConsumerPorts['expand'] = async (json) => {
    const expanded = await ports.expand(json);
    if (typeof expanded !== 'object' || expanded === null) return expanded;
    let interpreted: InterpretedEvent;
    try {
      interpreted = ports.interpret(expanded);
    } catch {
      // Not interpretable (or not now): `interpret` says why when the core calls it.
      return expanded;
    }
    const named = namedRecords(interpreted.result);
    if (named.length === 0) {
      trusted.set(expanded, interpreted);
      return expanded;
    }
    const billings = await deps.loadBillings(named);
    const facts = paymentFacts(expanded);
    const linkBilled = named.some((n) => paidThroughCheckout(billings.get(billingKey(n.sobject, n.recordId))));
    const paymentLinkOfIntent =
      linkBilled && facts.paymentLinkId === undefined && facts.paymentIntentId !== undefined && deps.paymentLinkOfIntent !== undefined
        ? await deps.paymentLinkOfIntent(facts.paymentIntentId)
        : undefined;
    const { result, notes } = applyTrust(interpreted.result, { facts, billings, paymentLinkOfIntent });
    for (const note of notes.filter((n) => n.verdict !== 'ours')) {
      deps.logger[deps.noteLevel ?? 'warn'](
        { eventId: interpreted.envelope.id, eventType: interpreted.envelope.type, sobject: note.sobject, recordId: note.recordId, verdict: note.verdict, stripeObjectId: facts.objectId },
        note.verdict === 'foreign' ? 'payment not believed for a record it is not the bill of' : note.verdict === 'short' ? 'bill paid short' : 'event of an earlier, released bill ignored',
      );
    }
    trusted.set(expanded, { ...interpreted, result });
    return expanded;
  };

  const interpret: ConsumerPorts['interpret'] = (json) => (typeof json === 'object' && json !== null ? trusted.get(json) : undefined) ?? ports.interpret(json);

  return { expand, interpret };
}
