/**
 * The product catalogue of the Stripe stand-in, as the API reference documents it:
 * - POST /v1/prices (https://docs.stripe.com/api/prices/create): `currency`, `unit_amount`, a
 *   `product` that must exist (else 404 `resource_missing`) or `product_data`, `recurring`
 *   {interval, interval_count, usage_type, meter}. Since 2025-03-31.basil a `metered` price
 *   needs a `meter` ("You can no longer create a price with a usage_type of metered without a
 *   specified meter", https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-legacy-usage-based-billing);
 *   the meter must be active ("You can't attach a deactivated meter to a price", Deactivate a
 *   billing meter, https://docs.stripe.com/api/billing/meter/deactivate).
 * - POST /v1/prices/:id (https://docs.stripe.com/api/prices/update): `active`, `metadata`,
 *   `nickname`, `lookup_key`; the amount and recurrence cannot change (prices are immutable:
 *   https://docs.stripe.com/products-prices/manage-prices#edit-price), so those parameters are
 *   refused as unknown. GET /v1/prices/:id.
 * - POST /v1/products/:id (https://docs.stripe.com/api/products/update): `name`, `active`,
 *   `description`, `metadata`.
 * - A line naming a `price` (invoice item, subscription, Checkout, payment link) is refused when the
 *   price is archived ("The price specified is inactive. This field only accepts active prices.")
 *   or its product is ("The product prod_… is marked as inactive…"), as src/stripe/catalog-refusal.ts
 *   cites; inline `price_data` is not checked.
 * - POST /v1/billing/meters (https://docs.stripe.com/api/billing/meter/create): `display_name`,
 *   `event_name`, `default_aggregation[formula]` (sum, count, last) required, `customer_mapping`,
 *   `value_settings`; GET /v1/billing/meters (`status` filter, newest first) and /:id.
 */
type Json = Record<string, any>;

export interface CatalogResourceDeps {
  readonly prices: Map<string, Json>;
  /** `get` answers a copy; `update` changes the stored product. */
  readonly products: { get(id: string): Json | undefined; update(id: string, fields: Json): Json };
  readonly now: () => number;
  readonly id: (prefix: string) => string;
  readonly integer: (value: unknown, param: string) => number;
  readonly invalid: (message: string, param?: string, code?: string) => never;
  readonly notFound: (kind: string, id: string) => never;
  readonly currencyOf: (params: Json, param?: string) => string;
  readonly metadataOf: (params: Json) => Record<string, string>;
  /** Stripe's list envelope over `objects` (oldest first), newest first. */
  readonly page: (url: string, objects: Json[], query: URLSearchParams) => Json;
}

const INTERVALS = new Set(['day', 'week', 'month', 'year']);
const USAGE_TYPES = new Set(['licensed', 'metered']);
const FORMULAS = new Set(['sum', 'count', 'last']);
const PRICE_UPDATES = new Set(['active', 'metadata', 'nickname', 'lookup_key', 'expand']);

export function createCatalogResources(deps: CatalogResourceDeps) {
  const { invalid, integer } = deps;
  const meters = new Map<string, Json>();

  /** A parameter's name: `recurring[interval]` for POST /v1/prices, `items[0][price_data][recurring][interval]` inline. */
  const named = (prefix: string, name: string): string => (prefix === '' ? name : `${prefix}[${name.split('[')[0]}]${name.slice(name.split('[')[0]!.length)}`);

  const recurringOf = (recurring: Json | undefined, prefix: string): Json | null => {
    if (recurring === undefined) return null;
    if (!INTERVALS.has(recurring.interval)) invalid(`Invalid ${named(prefix, 'recurring[interval]')}: must be one of day, week, month, or year`, named(prefix, 'recurring[interval]'));
    const usage = recurring.usage_type ?? 'licensed';
    if (!USAGE_TYPES.has(usage)) invalid(`Invalid ${named(prefix, 'recurring[usage_type]')}: must be one of licensed or metered`, named(prefix, 'recurring[usage_type]'));
    const meterId = recurring.meter;
    if (usage === 'metered') {
      if (typeof meterId !== 'string') invalid(`Metered prices must be attached to a meter: pass ${named(prefix, 'recurring[meter]')}.`, named(prefix, 'recurring[meter]'), 'parameter_missing');
      const meter = meters.get(meterId as string) ?? deps.notFound('billing.meter', meterId as string);
      if (meter.status !== 'active') invalid('You cannot attach a deactivated meter to a price.', named(prefix, 'recurring[meter]'));
    }
    return {
      interval: recurring.interval,
      interval_count: recurring.interval_count === undefined ? 1 : integer(recurring.interval_count, named(prefix, 'recurring[interval_count]')),
      usage_type: usage,
      meter: usage === 'metered' ? meterId : null,
      trial_period_days: null,
    };
  };

  /**
   * One price builder for POST /v1/prices and every inline `price_data`. `inline`: the price is
   * built for a line (`prefix` names its parameter, `productData` whether it may create its
   * product inline) and is not sold on its own, so it is inactive.
   */
  const createPrice = (params: Json, inline?: { readonly prefix: string; readonly productData: boolean }): Json => {
    const prefix = inline?.prefix ?? '';
    const currency = deps.currencyOf(params);
    const unitAmount = integer(params.unit_amount, named(prefix, 'unit_amount'));
    if (unitAmount < 0) invalid(`${named(prefix, 'unit_amount')} must be 0 or more.`, named(prefix, 'unit_amount'));
    let product = params.product;
    if (product === undefined) {
      if (inline !== undefined && !inline.productData) invalid(`Missing required param: ${named(prefix, 'product')}.`, named(prefix, 'product'), 'parameter_missing');
      if (typeof params.product_data?.name !== 'string' || params.product_data.name === '') {
        invalid(`Missing required param: ${named(prefix, 'product_data[name]')}.`, named(prefix, 'product_data[name]'), 'parameter_missing');
      }
      product = deps.id('prod');
    } else if (deps.products.get(String(product)) === undefined) {
      deps.notFound('product', String(product));
    }
    const recurring = recurringOf(params.recurring, prefix);
    const price: Json = {
      id: deps.id('price'),
      object: 'price',
      active: inline !== undefined ? false : params.active === undefined ? true : params.active === 'true',
      billing_scheme: 'per_unit',
      created: deps.now(),
      currency,
      livemode: false,
      lookup_key: inline === undefined ? (params.lookup_key ?? null) : null,
      metadata: inline === undefined ? deps.metadataOf(params) : {},
      nickname: inline === undefined ? (params.nickname ?? null) : null,
      product,
      product_name: params.product_data?.name,
      recurring,
      type: recurring === null ? 'one_time' : 'recurring',
      unit_amount: unitAmount,
      unit_amount_decimal: String(unitAmount),
    };
    deps.prices.set(price.id, price);
    return price;
  };

  const retrievePrice = (priceId: string): Json => deps.prices.get(priceId) ?? deps.notFound('price', priceId);

  /**
   * The price of a line `param` (`items[0]`, `line_items[2]`; '' for an invoice item's own
   * parameters): its `price` (active, in `currency` when one is set) or its inline `price_data`.
   */
  const linePrice = (item: Json, param: string, currency: string | undefined, productData: boolean): Json => {
    if (typeof item.price !== 'string') {
      const prefix = param === '' ? 'price_data' : `${param}[price_data]`;
      if (item.price_data === undefined) invalid(`Missing required param: ${prefix}.`, prefix, 'parameter_missing');
      const price = createPrice(item.price_data as Json, { prefix, productData });
      if (currency !== undefined && price.currency !== currency) invalid('All prices must share one currency.', `${prefix}[currency]`);
      return price;
    }
    const price = retrievePrice(item.price);
    if (price.active !== true) invalid('The price specified is inactive. This field only accepts active prices.', `${param}[price]`);
    // An active price of an archived product is no more for sale (src/stripe/catalog-refusal.ts cites both refusals).
    if (deps.products.get(String(price.product))?.active === false) {
      invalid(`The product ${String(price.product)} is marked as inactive, and thus no new purchases can be made with its prices.`, `${param}[price]`);
    }
    if (currency !== undefined && price.currency !== currency) invalid('All prices must share one currency.', `${param}[price]`);
    return price;
  };

  const updatePrice = (priceId: string, params: Json): Json => {
    const price = retrievePrice(priceId);
    const unknown = Object.keys(params).find((name) => !PRICE_UPDATES.has(name));
    if (unknown !== undefined) invalid(`Received unknown parameter: ${unknown}`, unknown, 'parameter_unknown');
    if (params.active !== undefined) price.active = params.active === 'true';
    if (params.metadata !== undefined) price.metadata = { ...price.metadata, ...deps.metadataOf(params) };
    if (params.nickname !== undefined) price.nickname = params.nickname === '' ? null : params.nickname;
    if (params.lookup_key !== undefined) price.lookup_key = params.lookup_key === '' ? null : params.lookup_key;
    return price;
  };

  const updateProduct = (productId: string, params: Json): Json => {
    const product = deps.products.get(productId) ?? deps.notFound('product', productId);
    const changes: Json = { updated: deps.now() };
    if (params.name !== undefined) {
      if (params.name === '') invalid('Product name cannot be empty.', 'name');
      changes.name = params.name;
    }
    if (params.active !== undefined) changes.active = params.active === 'true';
    if (params.description !== undefined) changes.description = params.description === '' ? null : params.description;
    if (params.metadata !== undefined) changes.metadata = { ...product.metadata, ...deps.metadataOf(params) };
    return deps.products.update(productId, changes);
  };

  const createMeter = (params: Json): Json => {
    for (const name of ['display_name', 'event_name']) {
      if (typeof params[name] !== 'string' || params[name] === '') invalid(`Missing required param: ${name}.`, name, 'parameter_missing');
    }
    const formula = params.default_aggregation?.formula;
    if (formula === undefined) invalid('Missing required param: default_aggregation[formula].', 'default_aggregation[formula]', 'parameter_missing');
    if (!FORMULAS.has(formula)) invalid('Invalid default_aggregation[formula]: must be one of sum, count, or last', 'default_aggregation[formula]');
    const created = deps.now();
    const meter: Json = {
      id: deps.id('mtr_test'),
      object: 'billing.meter',
      created,
      customer_mapping: { type: params.customer_mapping?.type ?? 'by_id', event_payload_key: params.customer_mapping?.event_payload_key ?? 'stripe_customer_id' },
      default_aggregation: { formula },
      display_name: params.display_name,
      event_name: params.event_name,
      event_time_window: params.event_time_window ?? null,
      livemode: false,
      status: 'active',
      status_transitions: { deactivated_at: null },
      updated: created,
      value_settings: { event_payload_key: params.value_settings?.event_payload_key ?? 'value' },
    };
    meters.set(meter.id, meter);
    return meter;
  };

  /** Routes /v1/billing/meters…; undefined when the path is not a meter's. */
  const meterRoute = (method: string, parts: readonly string[], query: URLSearchParams, params: Json): Json | undefined => {
    if (parts[1] !== 'billing' || parts[2] !== 'meters') return undefined;
    const meterId = parts[3];
    if (method === 'POST' && meterId === undefined) return createMeter(params);
    if (method === 'GET' && meterId === undefined) {
      const status = query.get('status');
      return deps.page('/v1/billing/meters', [...meters.values()].filter((m) => status === null || m.status === status), query);
    }
    if (method === 'GET') return meters.get(meterId as string) ?? deps.notFound('billing.meter', meterId as string);
    return undefined;
  };

  return { createPrice, linePrice, retrievePrice, updatePrice, updateProduct, meterRoute, meters: () => [...meters.values()] };
}
