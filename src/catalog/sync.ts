/**
 * Salesforce → Stripe catalogue sync of one Product2 and some of its price book entries: the
 * Stripe product (created once with the bridge's id, its id written back on the Product2), a
 * Billing Meter for a metered product, and one Stripe price per entry (created, or an earlier one
 * reactivated, when the entry's amount, currency or recurrence changed; the price it replaces is
 * archived; its id written back on the PricebookEntry).
 *
 * What is in sync costs nothing: an entry whose Stripe_Price_Id__c is the cached price of its
 * current definition needs no Stripe call and no Salesforce write. Every step can be repeated: a
 * creation carries a key that depends only on what it creates, the cache is written before the
 * old price is archived and the entry updated, so a retry after any crash ends in the same state.
 */
import type Stripe from 'stripe';
import type { Logger } from '../logging.js';
import { isPermanent } from '../errors.js';
import { stripeCall } from '../stripe/service-port.js';
import type { CatalogCache } from './cache.js';
import {
  catalogKeys,
  meterCacheKey,
  meterEventName,
  meterParams,
  priceCacheKey,
  priceParams,
  priceSignature,
  productIdOf,
  productParams,
  recurrenceOf,
  unitAmountOf,
  type CatalogEntry,
  type CatalogProduct,
  type Recurrence,
} from './catalog.js';

export interface CatalogPorts {
  readonly cache: CatalogCache;
  /** Runs Stripe operations with the current key. */
  readonly stripe: { call<T>(operation: (stripe: Stripe) => Promise<T>): Promise<T> };
  readonly records: { update(sobject: string, record: Readonly<Record<string, unknown>> & { readonly Id: string }): Promise<void> };
  readonly logger: Logger;
}

export type PriceOutcome = 'unchanged' | 'created' | 'replaced' | 'reactivated';

export interface SyncedPrice {
  readonly entryId: string;
  readonly priceId: string;
  readonly productId: string;
  /** Minor units of `currency`. */
  readonly unitAmount: number;
  readonly currency: string;
  readonly recurrence: Recurrence | undefined;
  readonly outcome: PriceOutcome;
}

export interface ProductSync {
  readonly productId: string;
  /** The product was created (or its id first written back) by this sync. */
  readonly productCreated: boolean;
  readonly meterId: string | undefined;
  readonly prices: readonly SyncedPrice[];
}

export interface SyncOptions {
  /** The request the sync runs for: the key of the state changes it makes (archive, reactivate, rename). */
  readonly requestId: string;
  /** sync_product: also bring the Stripe product's name and active flag in line with the Product2. */
  readonly refreshProduct?: { readonly active: boolean } | undefined;
}

function alreadyExists(err: unknown): boolean {
  return isPermanent(err) && (err as { details?: Record<string, unknown> }).details?.['stripeCode'] === 'resource_already_exists';
}

function missing(err: unknown): boolean {
  return isPermanent(err) && (err as { details?: Record<string, unknown> }).details?.['stripeCode'] === 'resource_missing';
}

/** True when the product's id was first written back on the Product2 by this sync. */
async function ensureProduct(product: CatalogProduct, productId: string, options: SyncOptions, ports: CatalogPorts): Promise<boolean> {
  if (product.stripeProductId === undefined) {
    try {
      await ports.stripe.call((stripe) => stripeCall('products.create', () => stripe.products.create(productParams(product, productId), { idempotencyKey: catalogKeys.product(product.id) })));
    } catch (err) {
      // The id is ours and fixed: "already exists" means an earlier sync or billing created it.
      if (!alreadyExists(err)) throw err;
    }
    await ports.records.update('Product2', { Id: product.id, Stripe_Product_Id__c: productId });
  }
  if (options.refreshProduct !== undefined) {
    const { active } = options.refreshProduct;
    await ports.stripe.call((stripe) =>
      stripeCall('products.update', () => stripe.products.update(productId, { name: product.name.slice(0, 250), active }, { idempotencyKey: catalogKeys.productUpdate(product.id, options.requestId) })),
    );
  }
  return product.stripeProductId === undefined;
}

/** The product's meter: cached, else the active meter with its event name, else a new one. */
async function ensureMeter(product: CatalogProduct, productId: string, ports: CatalogPorts): Promise<string> {
  const key = meterCacheKey(productId);
  const cached = await ports.cache.get(key);
  if (cached !== undefined) return cached.stripeId;
  const eventName = meterEventName(productId);
  const meterId = await ports.stripe.call(async (stripe) => {
    // Stripe keeps one active meter per event name: an earlier run's meter is found, not duplicated.
    let found: string | undefined;
    await stripeCall('billing.meters.list', () =>
      stripe.billing.meters.list({ status: 'active', limit: 100 }).autoPagingEach((meter) => {
        if (meter.event_name === eventName) found = meter.id;
        return found === undefined;
      }),
    );
    if (found !== undefined) return found;
    const meter = await stripeCall('billing.meters.create', () => stripe.billing.meters.create(meterParams(product, productId), { idempotencyKey: catalogKeys.meter(product.id) }));
    return meter.id;
  });
  await ports.cache.put(key, { stripeId: meterId, productId });
  return meterId;
}

/** `key`: the idempotency key, when not the activate/archive key of `requestId` (reactivateCatalog's recover key). */
async function setActive(priceId: string, active: boolean, requestId: string, ports: CatalogPorts, key = active ? catalogKeys.activate(priceId, requestId) : catalogKeys.archive(priceId, requestId)): Promise<void> {
  try {
    await ports.stripe.call((stripe) => stripeCall('prices.update', () => stripe.prices.update(priceId, { active }, { idempotencyKey: key })));
  } catch (err) {
    // Archiving a price Stripe does not know (typed by hand, another account's): nothing to archive.
    if (active || !missing(err)) throw err;
    ports.logger.warn({ priceId }, 'price to archive not found in Stripe');
  }
}

export async function syncProduct(product: CatalogProduct, entries: readonly CatalogEntry[], options: SyncOptions, ports: CatalogPorts): Promise<ProductSync> {
  const recurrence = recurrenceOf(product);
  const productId = productIdOf(product);
  const wanted = entries.map((entry) => {
    const unitAmount = unitAmountOf(product, entry);
    const signature = priceSignature(unitAmount, entry.currency, recurrence);
    return { entry, unitAmount, signature, cacheKey: priceCacheKey(entry.id, signature) };
  });
  const cached = await ports.cache.getMany(wanted.map((w) => w.cacheKey));
  const inSync = (w: (typeof wanted)[number]) => w.entry.stripePriceId !== undefined && cached.get(w.cacheKey)?.stripeId === w.entry.stripePriceId;
  const result = (w: (typeof wanted)[number], priceId: string, outcome: PriceOutcome): SyncedPrice => ({
    entryId: w.entry.id,
    priceId,
    productId: cached.get(w.cacheKey)?.productId ?? productId,
    unitAmount: w.unitAmount,
    currency: w.entry.currency,
    recurrence,
    outcome,
  });

  if (options.refreshProduct === undefined && wanted.every(inSync)) {
    return { productId, productCreated: false, meterId: undefined, prices: wanted.map((w) => result(w, w.entry.stripePriceId as string, 'unchanged')) };
  }

  const productCreated = await ensureProduct(product, productId, options, ports);
  const pending = wanted.filter((w) => !inSync(w));
  const meterId = recurrence?.usage_type === 'metered' && pending.length > 0 ? await ensureMeter(product, productId, ports) : undefined;
  const prices: SyncedPrice[] = [];
  for (const w of wanted) {
    if (inSync(w)) {
      prices.push(result(w, w.entry.stripePriceId as string, 'unchanged'));
      continue;
    }
    const earlier = cached.get(w.cacheKey);
    let priceId: string;
    let outcome: PriceOutcome;
    if (earlier !== undefined) {
      // The entry went back to a definition it had: its price exists (perhaps archived), reuse it.
      priceId = earlier.stripeId;
      await setActive(priceId, true, options.requestId, ports);
      outcome = 'reactivated';
    } else {
      const price = await ports.stripe.call((stripe) =>
        stripeCall('prices.create', () =>
          stripe.prices.create(priceParams(product, w.entry, productId, w.unitAmount, recurrence, meterId), { idempotencyKey: catalogKeys.price(w.entry.id, w.signature) }),
        ),
      );
      priceId = price.id;
      // A replayed creation (the same definition within Stripe's 24 hours) may answer a price archived since.
      if (!price.active) await setActive(priceId, true, options.requestId, ports);
      await ports.cache.put(w.cacheKey, { stripeId: priceId, productId });
      outcome = w.entry.stripePriceId === undefined ? 'created' : 'replaced';
    }
    if (w.entry.stripePriceId !== undefined && w.entry.stripePriceId !== priceId) await setActive(w.entry.stripePriceId, false, options.requestId, ports);
    await ports.records.update('PricebookEntry', { Id: w.entry.id, Stripe_Price_Id__c: priceId });
    prices.push({ ...result(w, priceId, outcome), productId });
  }
  ports.logger.info(
    { product2Id: product.id, productId, productCreated, meterId, created: prices.filter((p) => p.outcome !== 'unchanged').length, unchanged: prices.filter((p) => p.outcome === 'unchanged').length },
    'catalogue synced',
  );
  return { productId, productCreated, meterId, prices };
}

/** The Stripe catalogue objects a billing sells: its products and its catalogue prices. */
export interface CatalogObjects {
  readonly productIds: readonly string[];
  readonly priceIds: readonly string[];
}

/**
 * A price or product the sync made, archived since outside the bridge (the Stripe Dashboard):
 * the cache still maps the entry to that price, rightly (it is the price of the entry's
 * definition), so nothing is created and nothing re-read; the billing's products and prices are
 * reactivated, as the sync reactivates the price of a reverted list price, and the refused step
 * is sent again (outbound-operations.ts). Costs Stripe calls only after such a refusal: a billing
 * whose catalogue is active makes none.
 */
export async function reactivateCatalog(objects: CatalogObjects, requestId: string, ports: CatalogPorts): Promise<void> {
  const productIds = new Set(objects.productIds);
  const priceIds = new Set(objects.priceIds);
  // Products first: an active price of an archived product is still refused.
  for (const productId of productIds) {
    await ports.stripe.call((stripe) => stripeCall('products.update', () => stripe.products.update(productId, { active: true }, { idempotencyKey: catalogKeys.recover(productId, requestId) })));
  }
  for (const priceId of priceIds) await setActive(priceId, true, requestId, ports, catalogKeys.recover(priceId, requestId));
  ports.logger.warn(
    { products: productIds.size, prices: priceIds.size },
    'catalogue: Stripe refused a billing for an archived price or product; reactivated, the step sent again',
  );
}
