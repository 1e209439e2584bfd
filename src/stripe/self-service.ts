/**
 * The links a support agent sends a customer (https://docs.stripe.com/api/customer_portal):
 * - a customer portal session (POST /v1/billing_portal/sessions) under the bridge's portal
 *   configuration: the one the deployment names (none yet: `configured`), else the
 *   account's default or the one the bridge made (GET /v1/billing_portal/configurations?active=true,
 *   `is_default`, metadata `created_by`), else one the bridge creates once (POST /v1/billing_portal/configurations: invoice history, payment method
 *   update, customer details, cancel at period end). A session's URL is short-lived; with
 *   `after_expiration.type=customer_login` (API 2026-10-28.endive, "session recovery for expired
 *   customer portal sessions") a customer who opens it later verifies their email address and
 *   gets a fresh session, until `after_expiration.customer_login.expires_at`;
 * - a Checkout Session in setup mode (https://docs.stripe.com/api/checkout/sessions/create,
 *   `mode=setup`, `currency` or `allowed_payment_method_types` required) where the customer
 *   saves a new card; it expires 30 minutes to 24 hours after creation.
 */
import type Stripe from 'stripe';
import { stripeCall } from './service-port.js';

/** Idempotency key of the one configuration the bridge creates (a second cold start finds it anyway). */
export const PORTAL_CONFIGURATION_KEY = 'sfbridge:billing-portal-configuration:v1';
const CREATED_BY = 'created_by';
const BRIDGE = 'stripe-salesforce-bridge';

/** The configuration to use: the one configured, the account's default, the bridge's own, or a new one. */
export async function ensurePortalConfiguration(stripe: Stripe, configured: string | undefined): Promise<{ readonly id: string; readonly created: boolean }> {
  if (configured !== undefined) return { id: configured, created: false };
  const active = await stripeCall('billingPortal.configurations.list', () => stripe.billingPortal.configurations.list({ active: true, limit: 100 }));
  // The account's default (saved in the Dashboard), else the one the bridge made earlier.
  const found = active.data.find((c) => c.is_default) ?? active.data.find((c) => c.metadata?.[CREATED_BY] === BRIDGE);
  if (found !== undefined) return { id: found.id, created: false };
  const created = await stripeCall('billingPortal.configurations.create', () =>
    stripe.billingPortal.configurations.create(
      {
        name: 'Stripe bridge (Salesforce)',
        features: {
          invoice_history: { enabled: true },
          payment_method_update: { enabled: true },
          customer_update: { enabled: true, allowed_updates: ['email', 'address', 'tax_id'] },
          subscription_cancel: { enabled: true, mode: 'at_period_end' },
        },
        metadata: { [CREATED_BY]: BRIDGE },
      },
      { idempotencyKey: PORTAL_CONFIGURATION_KEY },
    ),
  );
  return { id: created.id, created: true };
}

export interface PortalLink {
  readonly id: string;
  readonly url: string;
  readonly configuration: string;
  /** Seconds since the epoch: until when the link (through email verification) lets the customer in. */
  readonly usableUntil: number;
}

export async function createPortalLink(
  stripe: Stripe,
  request: { readonly customerId: string; readonly configuration: string; readonly returnUrl: string | undefined; readonly usableUntil: number; readonly idempotencyKey: string },
): Promise<PortalLink> {
  const session = await stripeCall('billingPortal.sessions.create', () =>
    stripe.billingPortal.sessions.create(
      {
        customer: request.customerId,
        configuration: request.configuration,
        ...(request.returnUrl === undefined ? {} : { return_url: request.returnUrl }),
        after_expiration: { type: 'customer_login', customer_login: { expires_at: request.usableUntil } },
      },
      { idempotencyKey: request.idempotencyKey },
    ),
  );
  return { id: session.id, url: session.url, configuration: typeof session.configuration === 'string' ? session.configuration : session.configuration.id, usableUntil: request.usableUntil };
}

export interface SetupLink {
  readonly id: string;
  readonly url: string;
  /** Seconds since the epoch. */
  readonly expiresAt: number;
}

export async function createSetupLink(
  stripe: Stripe,
  request: { readonly customerId: string; readonly expiresAt: number; readonly metadata: Readonly<Record<string, string>>; readonly idempotencyKey: string },
): Promise<SetupLink> {
  const session = await stripeCall('checkout.sessions.create', () =>
    stripe.checkout.sessions.create(
      {
        mode: 'setup',
        customer: request.customerId,
        allowed_payment_method_types: ['card'],
        expires_at: request.expiresAt,
        metadata: { ...request.metadata },
      },
      { idempotencyKey: request.idempotencyKey },
    ),
  );
  if (session.url === null) throw new Error(`Checkout Session ${session.id} has no URL`);
  return { id: session.id, url: session.url, expiresAt: session.expires_at };
}
