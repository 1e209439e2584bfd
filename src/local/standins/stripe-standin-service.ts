/**
 * The service side of the Stripe stand-in (issue 13): what a support agent asks Stripe for from
 * Salesforce. Objects live in the stand-in's lists (stripe-standin-lists.ts), so GET
 * /v1/payment_intents/:id, /v1/refunds?payment_intent=… and the event log see them.
 *
 * Refunds, as the API reference documents them (https://docs.stripe.com/api/refunds/create and
 * /object):
 * - `payment_intent` or `charge` names what is refunded (one of them is required); `amount`
 *   defaults to what is left, "can refund only up to the remaining, unrefunded amount of the
 *   charge"; more is refused with an `invalid_request_error` ("Refund amount (…) is greater than
 *   unrefunded amount on charge (…)", code `amount_too_large`), a fully refunded charge with
 *   `charge_already_refunded` (https://docs.stripe.com/error-codes);
 * - `reason` is one of duplicate, fraudulent, requested_by_customer;
 * - `status` is pending, requires_action, succeeded, failed or canceled; a failed refund carries
 *   `failure_reason` and gives the amount back to the charge's refundable amount;
 * - Stripe sends `refund.created`, `charge.refunded` (the charge with `amount_refunded` and
 *   `refunded`) and, as the refund changes, `refund.updated` / `refund.failed`.
 *
 * Customer portal (https://docs.stripe.com/api/customer_portal): configurations (create, list
 * with `is_default` / `active`; the account's default exists only once its portal settings were
 * saved in the Dashboard, `seedDefaultPortalConfiguration`), sessions (`customer` required; without
 * a `configuration` and with no default, Stripe refuses: "No configuration provided and your test
 * mode default configuration has not been created"); `after_expiration` echoed.
 * Checkout Sessions in setup mode (`mode=setup`, `currency` or `allowed_payment_method_types`
 * required). Invoices: POST /v1/invoices/:id/mark_uncollectible, open invoices only, with the
 * `invoice.marked_uncollectible` event.
 */
import type Stripe from 'stripe';
import { minorUnitDigits } from '../../money.js';
import type { ObjectLists } from './stripe-standin-lists.js';
import { createSubscriptionActions } from './stripe-standin-subscription-actions.js';

type Json = Record<string, any>;

export type RefundStatus = 'pending' | 'requires_action' | 'succeeded' | 'failed' | 'canceled';

export interface StripeServiceStandIn {
  /**
   * A succeeded PaymentIntent and its charge, as if a customer had paid: `amount` in minor units.
   * Metadata goes on both (as the bridge's own payments carry it).
   */
  seedPayment(fields: { id?: string; amount: number; currency: string; customer?: string | null; metadata?: Record<string, string> }): { paymentIntent: Json; charge: Json };
  /** Every refund, oldest first. */
  refunds(): Json[];
  /** The status the next refunds are created in (Stripe: `succeeded` for most cards, `pending` for slower methods). */
  refundStatusOnCreate: RefundStatus;
  /** Portal configurations, oldest first. */
  portalConfigurations(): Json[];
  /** The account's default portal configuration, as saving the portal settings in the Dashboard makes it. */
  seedDefaultPortalConfiguration(): Json;
  portalSessions(): Json[];
  setupSessions(): Json[];
  /**
   * An active subscription of a customer, as if created earlier (one monthly item of `amount`
   * minor units; `fields` override). Subscription actions: stripe-standin-subscription-actions.ts.
   */
  seedSubscription(fields: { customer: string; amount?: number; currency?: string; metadata?: Record<string, string> } & Json): Json;
  /**
   * A subscription Stripe paused (`status` paused: a trial that ended without a payment method,
   * https://docs.stripe.com/billing/subscriptions/trials#create-free-trials-without-payment), and
   * the `customer.subscription.paused` and `.updated` events it sends (registered).
   */
  pauseSubscription(subscriptionId: string): Stripe.Event[];
  /** Moves a refund on and returns the events Stripe sends for it (registered in the event log). */
  settleRefund(refundId: string, status: Exclude<RefundStatus, 'pending'>, failureReason?: string): Stripe.Event[];
}

export interface ServiceEndpoints {
  readonly standIn: StripeServiceStandIn;
  /** Answers a POST it serves, or undefined to let the caller route it. */
  post(resource: string | undefined, objectId: string | undefined, action: string | undefined, params: Json): Json | undefined;
  /** Answers a DELETE it serves, or undefined to let the caller route it. */
  delete(resource: string | undefined, objectId: string | undefined, action: string | undefined, params: Json): Json | undefined;
  /** Answers a GET it serves, or undefined to let the caller route it. */
  get(resource: string | undefined, objectId: string | undefined, action: string | undefined, query: URLSearchParams): Json | undefined;
}

export interface ServiceDeps {
  readonly lists: ObjectLists;
  readonly now: () => number;
  readonly id: (prefix: string) => string;
  readonly invalid: (message: string, param?: string, code?: string) => never;
  /** Refused while reading parameters: no idempotent result is saved. */
  readonly invalidParameter: (message: string, param: string, code?: string) => never;
  readonly notFound: (kind: string, id: string) => never;
  readonly eventOf: (type: string, object: Json) => Stripe.Event;
  readonly integer: (value: unknown, param: string) => number;
  readonly currencies: ReadonlySet<string>;
  /** The stand-in's base URL (hosted pages). */
  readonly url: () => string;
}

const REFUND_REASONS = ['duplicate', 'fraudulent', 'requested_by_customer'];
/** `1.00 USD`-like rendering for Stripe's messages: the currency's own decimals. */
function display(minor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return `${(minor / 10 ** digits).toFixed(digits)} ${currency.toUpperCase()}`;
}

export function createServiceEndpoints(deps: ServiceDeps): ServiceEndpoints {
  const { lists } = deps;
  const refundOrder: string[] = [];

  const chargeOf = (params: Json): Json => {
    if (typeof params.charge === 'string') return lists.get('charges', params.charge) ?? deps.notFound('charge', params.charge);
    if (typeof params.payment_intent !== 'string') {
      return deps.invalidParameter('You must pass either a charge or a payment_intent to create a refund.', 'payment_intent', 'parameter_missing');
    }
    const intent = lists.get('payment_intents', params.payment_intent) ?? deps.notFound('payment_intent', params.payment_intent);
    if (intent.status !== 'succeeded' || typeof intent.latest_charge !== 'string') {
      return deps.invalid(`This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, 'payment_intent', 'charge_not_refundable');
    }
    return lists.get('charges', intent.latest_charge) as Json;
  };

  /** The charge as Stripe shows it after its refunds changed: `amount_refunded` counts every refund not failed or canceled. */
  const refreshCharge = (chargeId: string): Json => {
    const charge = lists.get('charges', chargeId) as Json;
    const live = refundOrder.map((id) => lists.get('refunds', id) as Json).filter((r) => r.charge === chargeId);
    const refunded = live.filter((r) => r.status !== 'failed' && r.status !== 'canceled').reduce((sum, r) => sum + (r.amount as number), 0);
    return lists.update('charges', chargeId, {
      amount_refunded: refunded,
      refunded: refunded >= (charge.amount_captured as number),
      refunds: { object: 'list', data: [...live].reverse(), has_more: false, url: `/v1/charges/${chargeId}/refunds` },
    });
  };

  const createRefund = (params: Json): Json => {
    const reason = params.reason;
    if (reason !== undefined && !REFUND_REASONS.includes(reason)) {
      deps.invalidParameter(`Invalid reason: must be one of ${REFUND_REASONS.join(', ')}`, 'reason');
    }
    const requested = params.amount === undefined ? undefined : deps.integer(params.amount, 'amount');
    if (requested !== undefined && requested < 1) deps.invalidParameter('Invalid positive integer', 'amount', 'parameter_invalid_integer');
    const charge = chargeOf(params);
    const remaining = (charge.amount_captured as number) - (charge.amount_refunded as number);
    if (remaining <= 0) deps.invalid(`Charge ${charge.id} has already been refunded.`, 'charge', 'charge_already_refunded');
    const amount = requested ?? remaining;
    if (amount > remaining) {
      deps.invalid(
        `Refund amount (${display(amount, charge.currency)}) is greater than unrefunded amount on charge (${display(remaining, charge.currency)})`,
        'amount',
        'amount_too_large',
      );
    }
    const refund = lists.seed('refunds', {
      id: deps.id('re'),
      object: 'refund',
      amount,
      charge: charge.id,
      created: deps.now(),
      currency: charge.currency,
      metadata: params.metadata && typeof params.metadata === 'object' ? { ...params.metadata } : {},
      payment_intent: charge.payment_intent ?? null,
      reason: reason ?? null,
      status: standIn.refundStatusOnCreate,
      failure_reason: null,
    });
    refundOrder.push(refund.id as string);
    const updated = refreshCharge(charge.id as string);
    deps.eventOf('refund.created', refund);
    deps.eventOf('charge.refunded', updated);
    return refund;
  };

  const configurations = new Map<string, Json>();
  const portalSessions = new Map<string, Json>();
  const setupSessions = new Map<string, Json>();
  const secret = (): string => deps.id('sec').slice(4);

  const createConfiguration = (params: Json, isDefault: boolean): Json => {
    if (params.features === undefined && !isDefault) deps.invalidParameter('Missing required param: features.', 'features', 'parameter_missing');
    const configuration: Json = {
      id: deps.id('bpc'),
      object: 'billing_portal.configuration',
      active: true,
      created: deps.now(),
      default_return_url: params.default_return_url ?? null,
      features: params.features ?? {},
      is_default: isDefault,
      livemode: false,
      metadata: params.metadata && typeof params.metadata === 'object' ? { ...params.metadata } : {},
      name: params.name ?? null,
    };
    configurations.set(configuration.id, configuration);
    return configuration;
  };

  const createPortalSession = (params: Json): Json => {
    if (typeof params.customer !== 'string') deps.invalidParameter('Missing required param: customer.', 'customer', 'parameter_missing');
    if (lists.get('customers', params.customer) === undefined) deps.notFound('customer', params.customer);
    let configuration: Json | undefined;
    if (typeof params.configuration === 'string') {
      configuration = configurations.get(params.configuration) ?? deps.notFound('billing_portal.configuration', params.configuration);
    } else {
      configuration = [...configurations.values()].find((c) => c.is_default === true);
      if (configuration === undefined) {
        deps.invalid('No configuration provided and your test mode default configuration has not been created. Provide a configuration or create your default by saving your customer portal settings in test mode at https://dashboard.stripe.com/test/settings/billing/portal.');
      }
    }
    const after = params.after_expiration;
    const session: Json = {
      id: deps.id('bps'),
      object: 'billing_portal.session',
      configuration: (configuration as Json).id,
      created: deps.now(),
      customer: params.customer,
      livemode: false,
      return_url: params.return_url ?? null,
      after_expiration:
        after === undefined
          ? null
          : { type: after.type, customer_login: after.customer_login === undefined ? null : { expires_at: after.customer_login.expires_at === undefined ? null : deps.integer(after.customer_login.expires_at, 'after_expiration[customer_login][expires_at]') } },
      url: `${deps.url()}/p/session/${secret()}`,
    };
    portalSessions.set(session.id, session);
    return session;
  };

  /** Setup mode (https://docs.stripe.com/api/checkout/sessions/create): the customer saves a payment method. */
  const createSetupSession = (params: Json): Json => {
    if (params.currency === undefined && params.allowed_payment_method_types === undefined) {
      deps.invalidParameter('currency is required in setup mode when allowed_payment_method_types is not set.', 'currency', 'parameter_missing');
    }
    if (typeof params.customer === 'string' && lists.get('customers', params.customer) === undefined) deps.notFound('customer', params.customer);
    const created = deps.now();
    const expiresAt = params.expires_at === undefined ? created + 24 * 3600 : deps.integer(params.expires_at, 'expires_at');
    if (expiresAt < created + 30 * 60 || expiresAt > created + 24 * 3600) {
      deps.invalid('The `expires_at` timestamp must be between 30 minutes and 24 hours from Checkout Session creation.', 'expires_at');
    }
    const id = deps.id('cs_test');
    const session: Json = {
      id,
      object: 'checkout.session',
      mode: 'setup',
      created,
      expires_at: expiresAt,
      customer: params.customer ?? null,
      livemode: false,
      metadata: params.metadata && typeof params.metadata === 'object' ? { ...params.metadata } : {},
      payment_status: 'no_payment_required',
      setup_intent: deps.id('seti'),
      status: 'open',
      url: `${deps.url()}/c/setup/${id}#${secret()}`,
    };
    setupSessions.set(id, session);
    return session;
  };

  /** https://docs.stripe.com/api/invoices/mark_uncollectible: open invoices only. */
  const markUncollectible = (invoiceId: string): Json => {
    const invoice = lists.get('invoices', invoiceId) ?? deps.notFound('invoice', invoiceId);
    if (invoice.status !== 'open') deps.invalid(`You can only mark an open invoice as uncollectible; ${invoiceId} is ${invoice.status}.`, undefined, 'invoice_not_editable');
    const updated = lists.update('invoices', invoiceId, {
      status: 'uncollectible',
      status_transitions: { ...(invoice.status_transitions ?? {}), marked_uncollectible_at: deps.now() },
    });
    deps.eventOf('invoice.marked_uncollectible', updated);
    return updated;
  };

  const subscriptionActions = createSubscriptionActions(deps);

  const standIn: StripeServiceStandIn = {
    seedSubscription({ customer, amount = 5000, currency = 'usd', metadata = {}, ...fields }) {
      const created = deps.now();
      const subscriptionId = typeof fields.id === 'string' ? fields.id : deps.id('sub');
      const item = {
        id: deps.id('si'),
        object: 'subscription_item',
        created,
        current_period_start: created,
        current_period_end: created + 30 * 86_400,
        discounts: [],
        metadata: {},
        price: { id: deps.id('price'), object: 'price', currency, product: deps.id('prod'), recurring: { interval: 'month', interval_count: 1, usage_type: 'licensed' }, type: 'recurring', unit_amount: amount, nickname: null },
        quantity: 1,
        subscription: subscriptionId,
      };
      return lists.seed('subscriptions', {
        id: subscriptionId,
        object: 'subscription',
        billing_cycle_anchor: created,
        cancel_at: null,
        cancel_at_period_end: false,
        canceled_at: null,
        cancellation_details: { comment: null, feedback: null, reason: null },
        collection_method: 'charge_automatically',
        created,
        currency,
        customer,
        ended_at: null,
        items: { object: 'list', data: [item], has_more: false, url: `/v1/subscription_items?subscription=${subscriptionId}` },
        latest_invoice: null,
        livemode: false,
        metadata: { ...metadata },
        pause_collection: null,
        schedule: null,
        start_date: created,
        status: 'active',
        trial_end: null,
        trial_start: null,
        ...fields,
      });
    },
    pauseSubscription(subscriptionId) {
      if (lists.get('subscriptions', subscriptionId) === undefined) deps.notFound('subscription', subscriptionId);
      const paused = lists.update('subscriptions', subscriptionId, { status: 'paused' });
      return [deps.eventOf('customer.subscription.paused', paused), deps.eventOf('customer.subscription.updated', paused)];
    },
    portalConfigurations: () => [...configurations.values()].map((c) => structuredClone(c)),
    seedDefaultPortalConfiguration: () => structuredClone(createConfiguration({}, true)),
    portalSessions: () => [...portalSessions.values()].map((c) => structuredClone(c)),
    setupSessions: () => [...setupSessions.values()].map((c) => structuredClone(c)),
    refundStatusOnCreate: 'succeeded',
    seedPayment({ id, amount, currency, customer = null, metadata = {} }) {
      const code = currency.toLowerCase();
      if (!deps.currencies.has(code)) throw new Error(`The stand-in does not accept ${code}`);
      const created = deps.now();
      const paymentIntentId = id ?? deps.id('pi');
      const charge = lists.seed('charges', {
        id: deps.id('ch'),
        object: 'charge',
        amount,
        amount_captured: amount,
        amount_refunded: 0,
        captured: true,
        created,
        currency: code,
        customer,
        metadata: { ...metadata },
        paid: true,
        payment_intent: paymentIntentId,
        payment_method_details: { type: 'card', card: { brand: 'visa', last4: '4242' } },
        refunded: false,
        refunds: { object: 'list', data: [], has_more: false, url: '' },
        status: 'succeeded',
      });
      const paymentIntent = lists.seed('payment_intents', {
        id: paymentIntentId,
        object: 'payment_intent',
        amount,
        amount_received: amount,
        created,
        currency: code,
        customer,
        latest_charge: charge.id,
        livemode: false,
        metadata: { ...metadata },
        status: 'succeeded',
      });
      return { paymentIntent, charge };
    },
    refunds: () => refundOrder.map((id) => lists.get('refunds', id) as Json),
    settleRefund(refundId, status, failureReason) {
      const refund = lists.get('refunds', refundId) ?? deps.notFound('refund', refundId);
      const updated = lists.update('refunds', refundId, { status, failure_reason: status === 'failed' ? (failureReason ?? 'unknown') : null });
      const events = [deps.eventOf(status === 'failed' ? 'refund.failed' : 'refund.updated', updated)];
      // A refund that did not go through gives its amount back to the charge.
      if (status === 'failed' || status === 'canceled') events.push(deps.eventOf('charge.refund.updated', updated));
      refreshCharge(refund.charge as string);
      return events;
    },
  };

  return {
    standIn,
    post(resource, objectId, action, params) {
      if (resource === 'refunds' && objectId === undefined) return createRefund(params);
      if (resource === 'billing_portal' && objectId === 'configurations' && action === undefined) return createConfiguration(params, false);
      if (resource === 'billing_portal' && objectId === 'sessions' && action === undefined) return createPortalSession(params);
      if (resource === 'checkout' && objectId === 'sessions' && action === undefined && params.mode === 'setup') return createSetupSession(params);
      if (resource === 'invoices' && objectId !== undefined && action === 'mark_uncollectible') return markUncollectible(objectId);
      if (resource === 'subscriptions') return subscriptionActions.post(objectId, action, params);
      return undefined;
    },
    delete(resource, objectId, action, params) {
      return resource === 'subscriptions' ? subscriptionActions.delete(objectId, action, params) : undefined;
    },
    get(resource, objectId, action, query) {
      if (resource === 'billing_portal' && objectId === 'configurations' && action === undefined) {
        const isDefault = query.get('is_default');
        const active = query.get('active');
        const data = [...configurations.values()]
          .filter((c) => (isDefault === null || String(c.is_default) === isDefault) && (active === null || String(c.active) === active))
          .reverse()
          .map((c) => structuredClone(c));
        return { object: 'list', data, has_more: false, url: '/v1/billing_portal/configurations' };
      }
      return undefined;
    },
  };
}
