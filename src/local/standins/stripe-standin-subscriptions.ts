/**
 * Products, recurring prices and subscriptions of the Stripe stand-in, as the API reference
 * documents them:
 * - POST /v1/products (https://docs.stripe.com/api/products/create): `name` required, an optional
 *   caller-chosen `id`; an id in use is refused (400 `resource_already_exists`);
 *   GET /v1/products/:id.
 * - POST /v1/subscriptions (https://docs.stripe.com/api/subscriptions/create): a customer, 1–20
 *   `items` (`price` or `price_data` {currency, product, unit_amount, recurring{interval,
 *   interval_count}}, `quantity`), up to 20 `add_invoice_items` (`price_data` without recurring),
 *   `collection_method` (`send_invoice` needs `days_until_due`), `trial_end` (future) or
 *   `trial_period_days`, `backdate_start_date` (past), `cancel_at`, `discounts`, `metadata`,
 *   `expand[]=latest_invoice`. Items carry their own current period (API 2025-03-31 and later).
 *   The first invoice is created with it: finalized at once for `charge_automatically`, left a
 *   draft for `send_invoice` (Stripe finalizes it an hour later:
 *   https://docs.stripe.com/billing/invoices/subscription#sub-invoice-lifecycle); during a
 *   trial its subscription lines are free, and a first invoice with nothing due is paid at once.
 *   GET /v1/subscriptions/:id.
 * - Checkout in subscription mode (https://docs.stripe.com/api/checkout/sessions/create): at least
 *   one recurring line, `subscription_data` {metadata, trial_end, trial_period_days}, no
 *   `payment_intent_data` ("can only be used in payment mode").
 * - Catalogue prices by id (`price`): an archived price is refused ("This field only accepts
 *   active prices"); a metered price takes no quantity ("You can only specify a quantity when
 *   creating a subscription with a recurring[usage_type] of licensed",
 *   https://docs.stripe.com/billing/subscriptions/quantities; Checkout answers "Quantity should not
 *   be specified where usage_type is `metered`. Remove quantity from `line_items[0]`") and is
 *   billed in arrears: nothing on the first invoice, and its item shows no quantity.
 * Proration of a backdated period and billing-cycle anchors are not modelled.
 */
type Json = Record<string, any>;

export interface SubscriptionResourceDeps {
  readonly customers: Map<string, Json>;
  readonly invoices: Map<string, Json>;
  readonly products: { get(id: string): Json | undefined; seed(product: Json): Json };
  /** The price of a subscription line: a `price` id or a `price_data` naming its `product` (the catalogue's builder). */
  readonly linePrice: (item: Json, param: string, currency: string | undefined) => Json;
  readonly subscriptions: { get(id: string): Json | undefined; seed(subscription: Json): Json };
  readonly now: () => number;
  readonly id: (prefix: string) => string;
  readonly integer: (value: unknown, param: string) => number;
  readonly invalid: (message: string, param?: string, code?: string) => never;
  readonly alreadyExists: (message: string, param: string) => never;
  readonly notFound: (kind: string, id: string) => never;
  readonly currencyOf: (params: Json, param?: string) => string;
  readonly metadataOf: (params: Json) => Record<string, string>;
  readonly discountsOf: (params: Json) => string[];
  /** Creates a draft invoice (POST /v1/invoices semantics). */
  readonly createInvoice: (params: Json) => Json;
  readonly refreshTotals: (invoice: Json) => void;
  readonly finalizeInvoice: (invoice: Json, params: Json) => Json;
}

const DAY = 86_400;
const PERIOD_DAYS: Readonly<Record<string, number>> = { day: 1, week: 7, month: 30, year: 365 };

export function createSubscriptionResources(deps: SubscriptionResourceDeps) {
  const { integer, invalid } = deps;

  const createProduct = (params: Json): Json => {
    if (typeof params.name !== 'string' || params.name === '') invalid('Missing required param: name.', 'name', 'parameter_missing');
    const productId = typeof params.id === 'string' && params.id !== '' ? params.id : deps.id('prod');
    if (deps.products.get(productId) !== undefined) deps.alreadyExists('Product already exists.', 'id');
    return deps.products.seed({
      id: productId,
      object: 'product',
      active: params.active === undefined ? true : params.active === 'true',
      created: deps.now(),
      livemode: false,
      name: params.name,
      description: params.description ?? null,
      metadata: deps.metadataOf(params),
    });
  };

  const retrieveProduct = (productId: string): Json => deps.products.get(productId) ?? deps.notFound('product', productId);

  /** A line's price (src/local/standins/stripe-standin-catalog.ts); a metered one takes no quantity. */
  const priceOf = (item: Json, param: string, currency: string | undefined): Json => {
    const price = deps.linePrice(item, param, currency);
    if (price.recurring?.usage_type === 'metered' && item.quantity !== undefined) {
      invalid(`Quantity should not be specified where usage_type is \`metered\`. Remove quantity from \`${param}\``, `${param}[quantity]`);
    }
    return price;
  };

  const isMetered = (price: Json): boolean => price.recurring?.usage_type === 'metered';

  const listOf = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

  const createSubscription = (params: Json): Json => {
    if (typeof params.customer !== 'string') invalid('Missing required param: customer.', 'customer', 'parameter_missing');
    const customer = deps.customers.get(params.customer as string) ?? deps.notFound('customer', params.customer as string);
    const itemParams = listOf(params.items);
    if (itemParams.length === 0) invalid('Missing required param: items.', 'items', 'parameter_missing');
    if (itemParams.length > 20) invalid('A subscription can have at most 20 items.', 'items');
    const extraParams = listOf(params.add_invoice_items);
    if (extraParams.length > 20) invalid('You can add at most 20 invoice items.', 'add_invoice_items');
    const collection = params.collection_method ?? 'charge_automatically';
    if (collection === 'send_invoice' && params.days_until_due === undefined) invalid('days_until_due is required for send_invoice subscriptions.', 'days_until_due');
    const created = deps.now();
    const trialEnd =
      params.trial_end !== undefined
        ? integer(params.trial_end, 'trial_end')
        : params.trial_period_days !== undefined
          ? created + integer(params.trial_period_days, 'trial_period_days') * DAY
          : null;
    if (trialEnd !== null && trialEnd <= created) invalid('trial_end must be in the future.', 'trial_end');
    const backdate = params.backdate_start_date === undefined ? null : integer(params.backdate_start_date, 'backdate_start_date');
    if (backdate !== null && backdate > created) invalid('backdate_start_date must be in the past.', 'backdate_start_date');
    const start = backdate ?? created;

    const subscriptionId = deps.id('sub');
    let currency: string | undefined;
    const items = itemParams.map((item, i) => {
      const price = priceOf(item, `items[${i}]`, currency);
      currency ??= price.currency as string;
      if (price.recurring === null) invalid('Subscription items need a recurring price.', `items[${i}]`);
      const periodEnd = (trialEnd ?? start) + PERIOD_DAYS[price.recurring.interval as string]! * DAY * (price.recurring.interval_count as number);
      return {
        id: deps.id('si'),
        object: 'subscription_item',
        created,
        current_period_start: trialEnd === null ? start : created,
        current_period_end: trialEnd === null ? periodEnd : trialEnd,
        discounts: [],
        metadata: deps.metadataOf(item),
        price,
        // A metered item has no quantity: the usage reported to its meter is billed.
        ...(isMetered(price) ? {} : { quantity: item.quantity === undefined ? 1 : integer(item.quantity, `items[${i}][quantity]`) }),
        subscription: subscriptionId,
      };
    });
    const extras = extraParams.map((item, i) => ({ price: priceOf(item, `add_invoice_items[${i}]`, currency), quantity: item.quantity === undefined ? 1 : integer(item.quantity, `add_invoice_items[${i}][quantity]`) }));
    if (extras.some((e) => e.price.recurring !== null)) invalid('add_invoice_items take one-time prices only.', 'add_invoice_items');

    const metadata = deps.metadataOf(params);
    const invoice = deps.createInvoice({
      customer: customer.id,
      currency,
      collection_method: collection,
      ...(params.days_until_due === undefined ? {} : { days_until_due: params.days_until_due }),
      auto_advance: 'true',
      ...(params.discounts === undefined ? {} : { discounts: params.discounts }),
    });
    invoice.billing_reason = 'subscription_create';
    invoice.parent = { type: 'subscription_details', quote_details: null, subscription_details: { subscription: subscriptionId, metadata } };
    const line = (amount: number, quantity: number, price: Json, description: string) => ({
      id: deps.id('il'),
      object: 'line_item',
      amount,
      currency,
      description,
      invoice: invoice.id,
      quantity,
      metadata: {},
      pricing: { type: 'price_details', price_details: { price: price.id, product: price.product }, unit_amount_decimal: String(price.unit_amount) },
    });
    for (const item of items) {
      // Usage is billed at the end of the period: the first invoice shows the metered item at 0.
      const quantity = item.quantity ?? 0;
      const amount = trialEnd === null ? (item.price.unit_amount as number) * quantity : 0;
      invoice.lines.data.push(line(amount, quantity, item.price, trialEnd === null ? `${quantity} × ${item.price.product as string}` : `Trial period for ${item.price.product as string}`));
    }
    for (const extra of extras) invoice.lines.data.push(line((extra.price.unit_amount as number) * extra.quantity, extra.quantity, extra.price, String(extra.price.product)));
    deps.refreshTotals(invoice);
    // Nothing due: Stripe finalizes and pays it at once; otherwise charge_automatically finalizes now.
    if (invoice.amount_due === 0 || collection === 'charge_automatically') deps.finalizeInvoice(invoice, {});

    const subscription = deps.subscriptions.seed({
      id: subscriptionId,
      object: 'subscription',
      billing_cycle_anchor: trialEnd ?? start,
      cancel_at: params.cancel_at === undefined ? null : integer(params.cancel_at, 'cancel_at'),
      cancel_at_period_end: false,
      canceled_at: null,
      collection_method: collection,
      created,
      currency,
      customer: customer.id,
      days_until_due: params.days_until_due === undefined ? null : integer(params.days_until_due, 'days_until_due'),
      discounts: [],
      ended_at: null,
      items: { object: 'list', data: items, has_more: false, url: `/v1/subscription_items?subscription=${subscriptionId}` },
      latest_invoice: invoice.id,
      livemode: false,
      metadata,
      pause_collection: null,
      schedule: null,
      start_date: start,
      status: trialEnd !== null ? 'trialing' : collection === 'send_invoice' || invoice.status === 'paid' ? 'active' : 'incomplete',
      trial_end: trialEnd,
      trial_start: trialEnd === null ? null : created,
    });
    const expand = listOf(params.expand).map(String);
    return expand.includes('latest_invoice') ? { ...subscription, latest_invoice: invoice } : subscription;
  };

  const retrieveSubscription = (subscriptionId: string): Json => deps.subscriptions.get(subscriptionId) ?? deps.notFound('subscription', subscriptionId);

  /** Checks a subscription-mode session's lines and answers what its first invoice asks for. */
  const subscriptionSession = (
    params: Json,
    lineItems: readonly Json[],
  ): { readonly amount: number; readonly currency: string; readonly subscriptionData: Json; readonly lines: ReadonlyArray<{ readonly price: Json; readonly quantity: number; readonly item: Json }> } => {
    if (params.payment_intent_data !== undefined) invalid('payment_intent_data can only be used in payment mode.', 'payment_intent_data');
    const data: Json = params.subscription_data ?? {};
    const trial = data.trial_end !== undefined || data.trial_period_days !== undefined;
    let currency: string | undefined;
    let amount = 0;
    let recurring = 0;
    const lines = lineItems.map((item, i) => {
      const price = priceOf(item, `line_items[${i}]`, currency);
      currency ??= price.currency as string;
      const quantity = isMetered(price) ? 0 : item.quantity === undefined ? 1 : integer(item.quantity, `line_items[${i}][quantity]`);
      if (price.recurring !== null) recurring += 1;
      if (price.recurring === null || !trial) amount += (price.unit_amount as number) * quantity;
      return { price, quantity, item };
    });
    if (recurring === 0) invalid('You must provide at least one recurring price in `subscription` mode when using prices.', 'line_items');
    return { amount, currency: currency as string, lines, subscriptionData: { metadata: deps.metadataOf(data), trial_end: data.trial_end === undefined ? null : integer(data.trial_end, 'subscription_data[trial_end]') } };
  };

  return { createProduct, retrieveProduct, createSubscription, retrieveSubscription, subscriptionSession };
}
