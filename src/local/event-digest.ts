/**
 * What the story page tells about an event, read once from the verified webhook body: the object,
 * its amount and currency, invoice number, the Salesforce records it names, a failure's reason,
 * the card's brand and last 4. Never names, emails or addresses (they are not read at all).
 */
export interface EventDigest {
  readonly objectId?: string | undefined;
  /** Minor units, as Stripe sends them. */
  readonly amount?: number | undefined;
  readonly currency?: string | undefined;
  readonly number?: string | undefined;
  readonly status?: string | undefined;
  readonly opportunityId?: string | undefined;
  readonly accountId?: string | undefined;
  readonly customerId?: string | undefined;
  readonly hostedUrl?: string | undefined;
  readonly failure?: string | undefined;
  readonly card?: string | undefined;
  readonly reason?: string | undefined;
  readonly subscriptionId?: string | undefined;
  /** Seconds since the epoch. */
  readonly periodEnd?: number | undefined;
  readonly amountRefunded?: number | undefined;
}

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const idOf = (value: unknown): string | undefined => str(value) ?? str(obj(value)?.id);

export function digestStripeEvent(event: unknown): EventDigest {
  const data = obj(obj(obj(event)?.data)?.object) ?? {};
  const metadata = obj(data.metadata) ?? {};
  const subscriptionDetails = obj(obj(obj(data.parent)?.subscription_details)?.metadata) ?? {};
  const lastError = obj(data.last_payment_error);
  const card = obj(obj(data.payment_method_details)?.card) ?? obj(obj(lastError?.payment_method)?.card);
  const item = obj((obj(data.items)?.data as unknown[] | undefined)?.[0]);
  return {
    objectId: str(data.id),
    amount: num(data.amount_due) ?? num(data.amount_total) ?? num(data.amount_received) ?? num(data.amount),
    currency: str(data.currency),
    number: str(data.number),
    status: str(data.status),
    opportunityId: str(metadata.salesforce_opportunity_id) ?? str(subscriptionDetails.salesforce_opportunity_id),
    accountId: str(metadata.salesforce_account_id) ?? str(subscriptionDetails.salesforce_account_id),
    customerId: idOf(data.customer),
    hostedUrl: str(data.hosted_invoice_url),
    failure: str(lastError?.message) ?? str(data.failure_message) ?? str(obj(data.last_finalization_error)?.message),
    card: str(card?.brand) === undefined ? undefined : `${String(card?.brand)} •••• ${String(card?.last4 ?? '????')}`,
    reason: str(data.reason),
    subscriptionId: str(data.object) === 'subscription' ? str(data.id) : idOf(data.subscription) ?? str(obj(obj(data.parent)?.subscription_details)?.subscription),
    periodEnd: num(item?.current_period_end) ?? num(data.current_period_end),
    amountRefunded: num(data.amount_refunded),
  };
}
