/**
 * `portal_link` and `update_payment_method` on an Account: a link the agent sends the customer
 * (a Flow can email it: the URL is written back on the Account with its expiry). The Account
 * must have its Stripe customer (`Stripe_Customer_Id__c`, set when it was first billed or by
 * `customer.*` events). The URLs are secrets: written to Salesforce, never logged.
 */
import { METADATA_KEYS } from '../contracts/metadata.js';
import { PermanentError } from '../errors.js';
import type { OutboundResult } from '../outbound/process-request.js';
import { createPortalLink, createSetupLink, ensurePortalConfiguration } from '../stripe/self-service.js';
import type { CommandContext, CommandDefinition, CommandPorts } from './command.js';

const ACCOUNT = [{ sobject: 'Account', prefix: '001' }] as const;

/** How long an emailed portal link lets the customer in (through email verification once the session itself expired). */
export const PORTAL_LINK_DAYS = 7;
/** Stripe: a Checkout Session expires 30 minutes to 24 hours after creation. */
const SETUP_HOURS = { min: 0.5, max: 24, default: 24 };

async function customerOf(recordId: string, ports: CommandPorts): Promise<string | undefined> {
  const [row] = await ports.service.records.query(`SELECT Id, Stripe_Customer_Id__c FROM Account WHERE Id = '${recordId}'`);
  if (row === undefined) throw new PermanentError(`Account ${recordId} does not exist or is not visible to the integration user`, { code: 'RECORD_NOT_FOUND' });
  const customer = row['Stripe_Customer_Id__c'];
  return typeof customer === 'string' && customer.startsWith('cus_') ? customer : undefined;
}

const noCustomer = (context: CommandContext, mode: string): OutboundResult => ({
  eventId: context.request.eventId,
  recordId: context.recordId,
  mode,
  outcome: 'rejected',
  code: 'CUSTOMER_MISSING',
  reason: 'This Account has no Stripe customer yet (Stripe_Customer_Id__c): bill it once, or link its customer, then ask again',
});

const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

export const portalLinkCommand: CommandDefinition = {
  name: 'portal_link',
  recordTypes: ACCOUNT,
  permission: 'Stripe_Manage_Billing',
  effect: `a customer portal session (cards, open invoices, subscriptions) under the bridge's portal configuration (the default one, else one created once); usable for ${PORTAL_LINK_DAYS} days through email verification`,
  idempotency: 'sfbridge:<EventUuid>:portal_link; the configuration sfbridge:billing-portal-configuration:v1',
  writeBack: 'Account.Stripe_Portal_Url__c, Stripe_Portal_Url_Expires_At__c; Sync Log with the URL',
  async run(context, ports) {
    const customerId = await customerOf(context.recordId, ports);
    if (customerId === undefined) return noCustomer(context, 'portal_link');
    const usableUntil = Math.floor(ports.now() / 1000) + PORTAL_LINK_DAYS * 86_400;
    const link = await ports.service.stripe.call(async (stripe) => {
      const configuration = await ensurePortalConfiguration(stripe, undefined);
      if (configuration.created) ports.logger.info({ configurationId: configuration.id }, 'customer portal configuration created');
      return createPortalLink(stripe, { customerId, configuration: configuration.id, returnUrl: undefined, usableUntil, idempotencyKey: `sfbridge:${context.request.eventId}:portal_link` });
    });
    await ports.service.records.update('Account', { Id: context.recordId, Stripe_Portal_Url__c: link.url, Stripe_Portal_Url_Expires_At__c: iso(link.usableUntil) });
    return {
      eventId: context.request.eventId,
      recordId: context.recordId,
      mode: 'portal_link',
      outcome: 'succeeded',
      customerId,
      stripeObjectId: link.id,
      stripeUrl: link.url,
      message: `Customer portal link created; send it to the customer. It works until ${iso(link.usableUntil)} (after a few minutes the customer confirms their email address).`,
    };
  },
};

export const updatePaymentMethodCommand: CommandDefinition = {
  name: 'update_payment_method',
  recordTypes: ACCOUNT,
  permission: 'Stripe_Manage_Billing',
  effect: 'a Checkout Session in setup mode for the customer: they save a new card; expires 24 h (or Options__c expiresInHours, 0.5–24) after the request',
  idempotency: 'sfbridge:<EventUuid>:update_payment_method',
  writeBack: 'Account.Stripe_Payment_Method_Url__c, Stripe_Payment_Method_Url_Expires_At__c; Sync Log with the URL',
  async run(context, ports) {
    const hours = context.request.options.expiresInHours ?? SETUP_HOURS.default;
    if (hours < SETUP_HOURS.min || hours > SETUP_HOURS.max) {
      return { eventId: context.request.eventId, recordId: context.recordId, mode: 'update_payment_method', outcome: 'rejected', code: 'OPTIONS_INVALID', reason: `expiresInHours must be between ${SETUP_HOURS.min} and ${SETUP_HOURS.max} (Stripe's limits for a Checkout Session)` };
    }
    const customerId = await customerOf(context.recordId, ports);
    if (customerId === undefined) return noCustomer(context, 'update_payment_method');
    const link = await ports.service.stripe.call((stripe) =>
      createSetupLink(stripe, {
        customerId,
        expiresAt: Math.floor(ports.now() / 1000 + hours * 3600),
        metadata: { [METADATA_KEYS.account]: context.recordId, salesforce_command_id: context.request.eventId },
        idempotencyKey: `sfbridge:${context.request.eventId}:update_payment_method`,
      }),
    );
    await ports.service.records.update('Account', { Id: context.recordId, Stripe_Payment_Method_Url__c: link.url, Stripe_Payment_Method_Url_Expires_At__c: iso(link.expiresAt) });
    return {
      eventId: context.request.eventId,
      recordId: context.recordId,
      mode: 'update_payment_method',
      outcome: 'succeeded',
      customerId,
      stripeObjectId: link.id,
      stripeUrl: link.url,
      message: `Card update link created; send it to the customer before ${iso(link.expiresAt)}.`,
    };
  },
};
