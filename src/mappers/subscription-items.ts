/**
 * customer.subscription.* → one Stripe_Subscription_Item__c per subscription item (keyed by its
 * id, si_…), a child of Stripe_Subscription__c (lookup through the subscription's external id,
 * written after it in the same Composite request). What the item sells (price, product and the
 * Product2 it came from, quantity, unit amount, interval, usage type) and its current period:
 * on the item since API 2025-03-31.basil, on the subscription before
 * (https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end).
 *
 * An item removed in Stripe (it was in `previous_attributes.items` and is not in the items any
 * more) is marked Removed, and every item of a deleted subscription Ended: both are settled
 * states (contracts/precedence), so no late event shows them active again.
 *
 * invoice.paid / invoice.finalized → the usage of metered items: the quantity of the invoice
 * line that billed the item's last closed period (usage is billed in arrears).
 */
import { subscriptionItemPrice, type ItemPrice } from '../stripe/api-versions.js';
import type { StripeSubscription, StripeSubscriptionItem } from '../stripe/event-schemas.js';
import type { SalesforceMutation } from './mutation.js';
import { money, stripeRecordFields, upsert, type EventFacts, type Fields } from './records.js';
import { isoDateTime } from './time.js';

export type ItemStatus = 'Active' | 'Removed' | 'Ended';

const SOBJECT = 'Stripe_Subscription_Item__c';
const PRODUCT2_ID = /^01t[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?$/;

/** The Product2 a Stripe product was synced from: `sfprod_<Product2 Id>` (src/catalog). */
export function product2IdOf(productId: string | undefined): string | undefined {
  const candidate = productId?.startsWith('sfprod_') === true ? productId.slice('sfprod_'.length) : undefined;
  return candidate !== undefined && PRODUCT2_ID.test(candidate) ? candidate : undefined;
}

function isMetered(price: ItemPrice | undefined): boolean {
  return price?.recurring?.usage_type === 'metered';
}

function priceFields(price: ItemPrice | undefined, currency: string | undefined): Fields {
  if (price === undefined) return {};
  const unit = typeof price.unit_amount === 'number' && currency !== undefined ? money(price.unit_amount, currency) : undefined;
  return {
    Stripe_Price_Id__c: price.id,
    Stripe_Product_Id__c: price.productId,
    Product__c: product2IdOf(price.productId),
    Unit_Amount__c: unit?.amount,
    Currency_Code__c: currency?.toUpperCase(),
    Interval__c: price.recurring?.interval,
    Interval_Count__c: price.recurring === undefined ? undefined : (price.recurring.interval_count ?? 1),
    Usage_Type__c: price.recurring === undefined ? undefined : isMetered(price) ? 'metered' : 'licensed',
  };
}

function itemRecord(event: EventFacts, subscription: StripeSubscription, item: StripeSubscriptionItem & { readonly id: string }, status: ItemStatus): SalesforceMutation {
  const price = subscriptionItemPrice(item);
  const product2Id = product2IdOf(price?.productId);
  const start = item.current_period_start ?? subscription.current_period_start;
  const end = item.current_period_end ?? subscription.current_period_end;
  return upsert(
    SOBJECT,
    { field: 'Stripe_Id__c', value: item.id },
    {
      ...stripeRecordFields(event, item.id),
      Status__c: status,
      Subscription__r: { Stripe_Id__c: subscription.id },
      Stripe_Subscription_Id__c: subscription.id,
      ...priceFields(price, subscription.currency ?? undefined),
      // A metered item has no quantity: its usage comes from the period's invoice.
      Quantity__c: isMetered(price) ? null : (item.quantity ?? undefined),
      Current_Period_Start__c: start === null || start === undefined ? undefined : isoDateTime(start),
      Current_Period_End__c: end === null || end === undefined ? undefined : isoDateTime(end),
      Removed_At__c: status === 'Active' ? null : isoDateTime(event.created),
    },
    // The Product2 a sfprod_ id names may be gone (deleted) or from another org: the item is still written.
    product2Id === undefined ? [] : ['Product__c'],
  );
}

/** The item ids `previous_attributes.items` lists (present when the items changed). */
function previousItemIds(previous: Readonly<Record<string, unknown>> | undefined): string[] | undefined {
  const items = previous?.['items'];
  if (typeof items !== 'object' || items === null) return undefined;
  const data = (items as { data?: unknown }).data;
  if (!Array.isArray(data)) return undefined;
  return data.flatMap((entry) => (typeof entry === 'object' && entry !== null && typeof (entry as { id?: unknown }).id === 'string' ? [(entry as { id: string }).id] : []));
}

export function subscriptionItemRecords(
  event: EventFacts & { readonly previous?: Readonly<Record<string, unknown>> | undefined },
  subscription: StripeSubscription,
): SalesforceMutation[] {
  const items = (subscription.items?.data ?? []).filter((item): item is StripeSubscriptionItem & { readonly id: string } => typeof item.id === 'string' && item.id !== '');
  const ended = event.type === 'customer.subscription.deleted';
  const records = items.map((item) => itemRecord(event, subscription, item, ended ? 'Ended' : 'Active'));
  // A list cut short (`has_more`) cannot say which items are gone.
  if (subscription.items?.has_more === true) return records;
  const current = new Set(items.map((item) => item.id));
  const removed = (previousItemIds(event.previous) ?? []).filter((id) => !current.has(id));
  return [
    ...records,
    ...removed.map((id) =>
      upsert(SOBJECT, { field: 'Stripe_Id__c', value: id }, {
        ...stripeRecordFields(event, id),
        Status__c: 'Removed',
        Subscription__r: { Stripe_Id__c: subscription.id },
        Stripe_Subscription_Id__c: subscription.id,
        Removed_At__c: isoDateTime(event.created),
      }),
    ),
  ];
}

/** An invoice line as the usage mapper reads it, at any API version. */
export interface UsageLine {
  readonly quantity?: number | null | undefined;
  /** Before basil: top-level. */
  readonly subscription_item?: string | null | undefined;
  /** basil and later: `parent.subscription_item_details.subscription_item`. */
  readonly parent?: { readonly subscription_item_details?: { readonly subscription_item?: string | null | undefined } | null | undefined } | null | undefined;
  readonly period?: { readonly start?: number | null | undefined; readonly end?: number | null | undefined } | null | undefined;
  readonly price?: { readonly recurring?: { readonly usage_type?: string | null | undefined } | null | undefined } | null | undefined;
  readonly plan?: { readonly usage_type?: string | null | undefined } | null | undefined;
}

export interface UsageInvoice {
  readonly id: string;
  readonly periodEnd: number | undefined;
  readonly subscriptionId: string | undefined;
  readonly lines: readonly UsageLine[];
}

/**
 * Whether a line bills metered usage. Before basil the line names its price and usage type;
 * from basil on it names the price by id only, so a line billing a period that ended with the
 * invoice's own period (in arrears, as usage is billed) is read as usage.
 */
function billsUsage(line: UsageLine, invoicePeriodEnd: number | undefined): boolean {
  const usageType = line.price?.recurring?.usage_type ?? line.plan?.usage_type;
  if (typeof usageType === 'string') return usageType === 'metered';
  const end = line.period?.end;
  return typeof end === 'number' && invoicePeriodEnd !== undefined && end <= invoicePeriodEnd;
}

/** The usage an invoice billed per metered subscription item: facts about a closed period (unversioned writes). */
export function subscriptionItemUsage(invoice: UsageInvoice): SalesforceMutation[] {
  const usage = new Map<string, { quantity: number; start: number | undefined; end: number | undefined }>();
  for (const line of invoice.lines) {
    const itemId = line.subscription_item ?? line.parent?.subscription_item_details?.subscription_item ?? undefined;
    if (itemId === undefined || itemId === null || !billsUsage(line, invoice.periodEnd)) continue;
    const seen = usage.get(itemId);
    // Tiered usage is billed on several lines of one item: their quantities add up.
    usage.set(itemId, {
      quantity: (seen?.quantity ?? 0) + (line.quantity ?? 0),
      start: line.period?.start ?? seen?.start ?? undefined,
      end: line.period?.end ?? seen?.end ?? undefined,
    });
  }
  return [...usage].map(([itemId, u]) =>
    upsert(
      SOBJECT,
      { field: 'Stripe_Id__c', value: itemId },
      {
        Usage_Quantity__c: u.quantity,
        Usage_Period_Start__c: u.start === undefined ? undefined : isoDateTime(u.start),
        Usage_Period_End__c: u.end === undefined ? undefined : isoDateTime(u.end),
        Usage_Invoice_Id__c: invoice.id,
        ...(invoice.subscriptionId === undefined ? {} : { Stripe_Subscription_Id__c: invoice.subscriptionId, Subscription__r: { Stripe_Id__c: invoice.subscriptionId } }),
      },
      // The subscription's record may not exist yet (its event comes later): the usage is still written.
      ['Subscription__r'],
    ),
  );
}

