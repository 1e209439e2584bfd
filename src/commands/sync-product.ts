/**
 * `sync_product` on a Product2: the product and its active price book entries become the Stripe
 * catalogue (src/catalog/sync.ts): the Stripe product (created once, its name and active flag
 * kept in line), a Billing Meter for a metered product, one Stripe price per active entry in its
 * currency, a changed list price as a new price with the old one archived. An inactive Product2
 * archives its Stripe product (prices stay usable by existing subscriptions, as in Stripe).
 *
 * Permission: Stripe_Manage_Billing. The command only mirrors what Salesforce already says (the
 * list prices a product admin set), so it moves no money and sets no price of its own; the
 * support and finance permission sets hold it (docs/commands.md).
 */
import * as z from 'zod/mini';
import type { CatalogEntry, CatalogProduct } from '../catalog/catalog.js';
import { syncProduct } from '../catalog/sync.js';
import { PermanentError } from '../errors.js';
import { decimal, text } from '../outbound/billable.js';
import type { OutboundResult } from '../outbound/process-request.js';
import { formatMoney } from '../mappers/records.js';
import type { CommandDefinition } from './command.js';

const entrySchema = z.object({ Id: z.string(), UnitPrice: decimal, CurrencyIsoCode: text, Stripe_Price_Id__c: text });
const productSchema = z.object({
  Id: z.string(),
  Name: text,
  IsActive: z.optional(z.nullable(z.boolean())),
  Stripe_Billing_Interval__c: text,
  Stripe_Interval_Count__c: decimal,
  Stripe_Usage_Type__c: text,
  Stripe_Product_Id__c: text,
  PricebookEntries: z.nullish(z.object({ done: z.optional(z.boolean()), records: z.array(entrySchema) })),
});

function productQuery(productId: string, multiCurrency: boolean): string {
  const entryFields = ['Id', 'UnitPrice', ...(multiCurrency ? ['CurrencyIsoCode'] : []), 'Stripe_Price_Id__c'];
  return (
    'SELECT Id, Name, IsActive, Stripe_Billing_Interval__c, Stripe_Interval_Count__c, Stripe_Usage_Type__c, Stripe_Product_Id__c,' +
    ` (SELECT ${entryFields.join(', ')} FROM PricebookEntries WHERE IsActive = true)` +
    ` FROM Product2 WHERE Id = '${productId}'`
  );
}

export const syncProductCommand: CommandDefinition = {
  name: 'sync_product',
  recordTypes: [{ sobject: 'Product2', prefix: '01t' }],
  permission: 'Stripe_Manage_Billing',
  effect:
    'the Product2 as a Stripe product (sfprod_<Product2Id> unless Stripe_Product_Id__c names one; name and active flag kept in line), a Billing Meter for a metered product (event_name = the Stripe product id), one Stripe price per active PricebookEntry in its currency; a changed list price, interval or usage type gets a new price and the old one is archived',
  idempotency: 'sfbridge:<Product2Id>:product, …:product_update:<EventUuid>, …:meter, sfbridge:<PricebookEntryId>:price:<amount><currency>:<recurrence>, sfbridge:<priceId>:archive:<EventUuid>, …:activate:<EventUuid>',
  writeBack: 'Product2.Stripe_Product_Id__c, PricebookEntry.Stripe_Price_Id__c; Sync Log with what changed',
  async run(context, ports): Promise<OutboundResult> {
    const base = { eventId: context.request.eventId, recordId: context.recordId, mode: 'sync_product' } as const;
    const catalog = ports.catalog;
    if (catalog === undefined) throw new PermanentError('The catalogue sync is not configured in this deployment', { code: 'CATALOG_UNAVAILABLE' });
    const org = await ports.records.orgProfile();
    const [row] = await ports.service.records.query(productQuery(context.recordId, org.multiCurrency));
    if (row === undefined) throw new PermanentError(`Product ${context.recordId} does not exist or is not visible to the integration user`, { code: 'RECORD_NOT_FOUND' });
    const parsed = productSchema.safeParse(row);
    if (!parsed.success) throw new PermanentError('Unexpected Product2 query result', { code: 'PRODUCT2_SHAPE' });
    const p = parsed.data;
    if (p.PricebookEntries?.done === false) {
      return { ...base, outcome: 'rejected', code: 'TOO_MANY_PRICES', reason: 'The product has more price book entries than one query returns' };
    }
    const active = p.IsActive !== false;
    const product: CatalogProduct = {
      id: p.Id,
      name: p.Name ?? p.Id,
      interval: p.Stripe_Billing_Interval__c,
      intervalCount: p.Stripe_Interval_Count__c,
      usageType: p.Stripe_Usage_Type__c,
      stripeProductId: p.Stripe_Product_Id__c,
    };
    // An inactive product is archived in Stripe; its entries are not sold any more.
    const entries: CatalogEntry[] = active
      ? (p.PricebookEntries?.records ?? []).flatMap((e) =>
          e.UnitPrice === undefined ? [] : [{ id: e.Id, unitPrice: e.UnitPrice, currency: (org.multiCurrency ? (e.CurrencyIsoCode ?? org.corporateCurrency) : org.corporateCurrency).toLowerCase(), stripePriceId: e.Stripe_Price_Id__c }],
        )
      : [];
    try {
      const synced = await syncProduct(product, entries, { requestId: context.request.eventId, refreshProduct: { active } }, catalog);
      const changed = synced.prices.filter((price) => price.outcome !== 'unchanged');
      const prices = synced.prices.map((price) => `${formatMoney(price.unitAmount, price.currency)} ${price.outcome} (${price.priceId})`);
      return {
        ...base,
        outcome: 'succeeded',
        stripeObjectId: synced.productId,
        message: active
          ? `Stripe product ${synced.productId}${synced.productCreated ? ' created' : ''}${synced.meterId === undefined ? '' : `, meter ${synced.meterId}`}; ${synced.prices.length} price(s), ${changed.length} changed: ${prices.join('; ') || 'no active price book entry'}`
          : `The product is inactive: Stripe product ${synced.productId} archived`,
      };
    } catch (err) {
      // The admin's to fix (an unknown interval, a price Stripe refuses): said in the Sync Log.
      if (err instanceof PermanentError && !err.code.startsWith('SALESFORCE_')) return { ...base, outcome: 'rejected', code: err.code, reason: err.message };
      throw err;
    }
  },
};
