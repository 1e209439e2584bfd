/**
 * Before a record is billed (in any mode), the products its lines need are synced to the Stripe
 * catalogue (src/catalog): each line with a price book entry learns the Stripe product of its
 * Product2 and the Stripe Price of its entry's list price. The planner sells the line at that
 * Price when the line's sales price is the list price, else inline at its own price on that
 * product (docs/subscriptions.md, "The catalogue"). Only the record's own products are synced;
 * entries already in sync cost no Stripe call.
 */
import type { CatalogEntry, CatalogProduct } from '../catalog/catalog.js';
import { syncProduct, type CatalogObjects, type CatalogPorts } from '../catalog/sync.js';
import type { BillableRecord, CatalogPrice } from './billable.js';

export async function priceRecordLines(record: BillableRecord, currency: string, requestId: string, ports: CatalogPorts): Promise<BillableRecord> {
  const products = new Map<string, { product: CatalogProduct; entries: Map<string, CatalogEntry> }>();
  for (const line of record.lineItems) {
    const { product, pricebookEntry: entry } = line;
    // A negative list price (a credit product) is no Stripe price (they are 0 or more): its line
    // bills ad hoc, as every line did before the catalogue, instead of refusing the whole bill.
    if (product === undefined || entry?.unitPrice === undefined || entry.unitPrice < 0) continue;
    const group = products.get(product.id) ?? {
      product: {
        id: product.id,
        name: product.name ?? line.name ?? product.id,
        interval: product.interval,
        intervalCount: product.intervalCount,
        usageType: product.usageType,
        stripeProductId: product.stripeProductId,
      },
      entries: new Map<string, CatalogEntry>(),
    };
    group.entries.set(entry.id, { id: entry.id, unitPrice: entry.unitPrice, currency, stripePriceId: entry.stripePriceId });
    products.set(product.id, group);
  }
  if (products.size === 0) return record;
  const prices = new Map<string, CatalogPrice>();
  for (const { product, entries } of products.values()) {
    const synced = await syncProduct(product, [...entries.values()], { requestId }, ports);
    for (const price of synced.prices) {
      prices.set(price.entryId, { priceId: price.priceId, productId: price.productId, unitAmount: price.unitAmount, usageType: price.recurrence?.usage_type });
    }
  }
  return {
    ...record,
    lineItems: record.lineItems.map((line) => {
      const price = line.pricebookEntry === undefined ? undefined : prices.get(line.pricebookEntry.id);
      return price === undefined ? line : { ...line, catalogPrice: price };
    }),
  };
}

/** The Stripe products and catalogue prices the record's lines were priced with (priceRecordLines). */
export function catalogObjectsOf(record: BillableRecord): CatalogObjects {
  const priced = record.lineItems.flatMap((line) => (line.catalogPrice === undefined ? [] : [line.catalogPrice]));
  return { productIds: priced.map((p) => p.productId), priceIds: priced.map((p) => p.priceId) };
}
