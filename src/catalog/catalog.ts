/**
 * The catalogue as Stripe sells it, pure: a Product2 is a Stripe Product, each of its price book
 * entries a Stripe Price in the entry's currency (https://docs.stripe.com/products-prices/how-products-and-prices-work).
 * Stripe prices cannot change their amount or recurrence ("Prices are immutable: create a new
 * price and archive the old one", https://docs.stripe.com/products-prices/manage-prices#edit-price),
 * so a price is identified by everything that defines it: the entry, its amount in minor units,
 * its currency and its recurrence. That identity is the cache key and the creation's idempotency
 * key, so a retried sync asks for the same price and Stripe replays it.
 *
 * Metered products: since API 2025-03-31.basil a metered price must name a Billing Meter
 * (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-legacy-usage-based-billing): the
 * sync keeps one meter per Stripe product whose `event_name` is the product's Stripe id (docs/subscriptions.md).
 */
import type Stripe from 'stripe';
import { BILLING_INTERVALS, USAGE_TYPES, type BillingInterval } from '../contracts/statuses.js';
import { PermanentError } from '../errors.js';
import { toMinorUnits } from '../money.js';

export class CatalogError extends PermanentError {
  override readonly name = 'CatalogError';
}

/** A Product2 as the catalogue sells it. */
export interface CatalogProduct {
  readonly id: string;
  readonly name: string;
  /** Stripe_Billing_Interval__c: blank is one-time. */
  readonly interval: string | undefined;
  readonly intervalCount: number | undefined;
  /** Stripe_Usage_Type__c: blank is licensed. */
  readonly usageType: string | undefined;
  /** Stripe_Product_Id__c: an existing Stripe product, or the one the sync created. */
  readonly stripeProductId: string | undefined;
}

/** A PricebookEntry: one list price of the product in one currency. */
export interface CatalogEntry {
  readonly id: string;
  /** UnitPrice, major units as Salesforce stores it. */
  readonly unitPrice: number;
  /** Lower-case ISO code. */
  readonly currency: string;
  /** Stripe_Price_Id__c: the price the entry is sold as now. */
  readonly stripePriceId: string | undefined;
}

export interface Recurrence {
  readonly interval: BillingInterval;
  readonly interval_count: number;
  readonly usage_type: 'licensed' | 'metered';
}

/** Stripe product ids are chosen by the bridge: the same Product2 is the same product, forever. */
export function stripeProductIdOf(product2Id: string): string {
  return `sfprod_${product2Id}`;
}

export function productIdOf(product: Pick<CatalogProduct, 'id' | 'stripeProductId'>): string {
  return product.stripeProductId ?? stripeProductIdOf(product.id);
}

/** How the product recurs; undefined for a one-time product. A value Stripe would refuse is the admin's to fix. */
export function recurrenceOf(product: Pick<CatalogProduct, 'name' | 'interval' | 'intervalCount' | 'usageType'>): Recurrence | undefined {
  const usage = product.usageType ?? 'licensed';
  if (!(USAGE_TYPES as readonly string[]).includes(usage)) {
    throw new CatalogError(`Product "${product.name}" has usage type "${usage}", not one of ${USAGE_TYPES.join(', ')}`, { code: 'USAGE_TYPE_INVALID' });
  }
  if (product.interval === undefined) {
    if (usage === 'metered') throw new CatalogError(`Product "${product.name}" is metered but has no billing interval: usage is billed per period`, { code: 'INTERVAL_INVALID' });
    return undefined;
  }
  if (!(BILLING_INTERVALS as readonly string[]).includes(product.interval)) {
    throw new CatalogError(`Product "${product.name}" has billing interval "${product.interval}", not one of ${BILLING_INTERVALS.join(', ')}`, { code: 'INTERVAL_INVALID' });
  }
  const count = product.intervalCount ?? 1;
  if (!Number.isInteger(count) || count < 1) {
    throw new CatalogError(`Product "${product.name}" has interval count ${count}; it must be a whole number of 1 or more`, { code: 'INTERVAL_INVALID' });
  }
  return { interval: product.interval as BillingInterval, interval_count: count, usage_type: usage as Recurrence['usage_type'] };
}

/** The entry's list price in minor units of its currency. */
export function unitAmountOf(product: Pick<CatalogProduct, 'name'>, entry: CatalogEntry): number {
  try {
    const amount = toMinorUnits(entry.unitPrice, entry.currency);
    if (amount < 0) throw new CatalogError(`The list price of "${product.name}" is negative`, { code: 'AMOUNT_INVALID' });
    return amount;
  } catch (err) {
    if (err instanceof CatalogError) throw err;
    throw new CatalogError(`The list price ${entry.unitPrice} of "${product.name}" cannot be sold in ${entry.currency.toUpperCase()}`, { code: 'AMOUNT_INVALID', cause: err });
  }
}

/** Everything that defines a Stripe price of an entry: `5000usd:month*1:licensed`, `20000usd:once`. */
export function priceSignature(unitAmount: number, currency: string, recurrence: Recurrence | undefined): string {
  const every = recurrence === undefined ? 'once' : `${recurrence.interval}*${recurrence.interval_count}:${recurrence.usage_type}`;
  return `${unitAmount}${currency}:${every}`;
}

/** The DynamoDB cache item of one price (src/catalog/cache.ts). */
export function priceCacheKey(entryId: string, signature: string): string {
  return `catalog#price#${entryId}#${signature}`;
}

export function meterCacheKey(productId: string): string {
  return `catalog#meter#${productId}`;
}

/** Idempotency keys: the creation's depends only on what is created; state changes on the request that made them. */
export const catalogKeys = {
  product: (product2Id: string) => `sfbridge:${product2Id}:product`,
  productUpdate: (product2Id: string, requestId: string) => `sfbridge:${product2Id}:product_update:${requestId}`,
  meter: (product2Id: string) => `sfbridge:${product2Id}:meter`,
  price: (entryId: string, signature: string) => `sfbridge:${entryId}:price:${signature}`,
  archive: (priceId: string, requestId: string) => `sfbridge:${priceId}:archive:${requestId}`,
  activate: (priceId: string, requestId: string) => `sfbridge:${priceId}:activate:${requestId}`,
  /** Reactivating a price or product archived outside the bridge, after Stripe refused a billing for it. */
  recover: (stripeId: string, requestId: string) => `sfbridge:${stripeId}:recover:${requestId}`,
};

/** The meter events of a metered product carry this `event_name` (reported by the user's application). */
export function meterEventName(productId: string): string {
  return productId.slice(0, 100);
}

/**
 * One meter per metered product: usage summed over the period, the customer named by its id
 * under `stripe_customer_id`, the quantity under `value` (Stripe's documented defaults,
 * https://docs.stripe.com/api/billing/meter/create).
 */
export function meterParams(product: Pick<CatalogProduct, 'name'>, productId: string): Stripe.Billing.MeterCreateParams {
  return {
    display_name: `${product.name} usage`.slice(0, 250),
    event_name: meterEventName(productId),
    default_aggregation: { formula: 'sum' },
    customer_mapping: { type: 'by_id', event_payload_key: 'stripe_customer_id' },
    value_settings: { event_payload_key: 'value' },
  };
}

export function productParams(product: CatalogProduct, productId: string): Stripe.ProductCreateParams & { readonly id: string } {
  return { id: productId, name: product.name.slice(0, 250), metadata: { salesforce_product_id: product.id } };
}

export function priceParams(
  product: CatalogProduct,
  entry: CatalogEntry,
  productId: string,
  unitAmount: number,
  recurrence: Recurrence | undefined,
  meterId: string | undefined,
): Stripe.PriceCreateParams {
  return {
    product: productId,
    currency: entry.currency,
    unit_amount: unitAmount,
    ...(recurrence === undefined
      ? {}
      : {
          recurring: {
            interval: recurrence.interval,
            interval_count: recurrence.interval_count,
            usage_type: recurrence.usage_type,
            ...(meterId === undefined ? {} : { meter: meterId }),
          },
        }),
    metadata: { salesforce_product_id: product.id, salesforce_pricebook_entry_id: entry.id },
  };
}
