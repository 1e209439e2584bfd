/**
 * Self-service links and invoice actions end to end (stand-ins over HTTP). Stripe facts relied
 * on: a portal session needs a customer and uses the given configuration, else the account's
 * default, which exists only once the portal settings were saved
 * (https://docs.stripe.com/api/customer_portal/sessions/create); `after_expiration.customer_login`
 * lets a customer recover an expired session until its `expires_at` (API 2026-10-28.endive
 * changelog); a setup-mode Checkout Session needs `currency` or `allowed_payment_method_types`
 * and expires 30 minutes to 24 hours after creation (…/checkout/sessions/create); only open or
 * uncollectible invoices can be voided, only open ones marked uncollectible, only finalized
 * `send_invoice` invoices sent (https://docs.stripe.com/api/invoices/void, …/mark_uncollectible,
 * …/send).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOutboundHarness, SAMPLE_REP_ID, type OutboundHarness } from '../outbound/harness.js';
import { commandEvent, seedAccount } from './support.js';

let h: OutboundHarness;
const SUPPORT_AGENT = '005Ab00000000SPAAA';

beforeAll(async () => {
  h = await startOutboundHarness();
  h.salesforce.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Issue_Refunds', 'Stripe_Bridge_Finance');
  h.salesforce.grantCustomPermission(SAMPLE_REP_ID, 'Stripe_Manage_Billing', 'Stripe_Bridge_Finance');
  h.salesforce.grantCustomPermission(SUPPORT_AGENT, 'Stripe_Manage_Billing', 'Stripe_Bridge_Support');
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.reset();
  h.coldStart();
});

const record = (sobject: string, id: string) => h.salesforce.records(sobject).find((r) => r.Id === id) ?? {};
const logOf = (event: { detail: { payload: { EventUuid: string } } }) => h.salesforce.records('Stripe_Sync_Log__c').find((l) => l.Event_Id__c === `sf:${event.detail.payload.EventUuid}`);
const posts = (path: RegExp) => h.stripe.requests.filter((r) => r.method === 'POST' && path.test(r.path) && r.status < 300 && !r.replayed);

function customerAccount(): { accountId: string; customerId: string } {
  const customer = h.stripe.seedCustomer({ email: 'ap@example.com' });
  return { accountId: seedAccount(h.salesforce, { Stripe_Customer_Id__c: customer.id }), customerId: customer.id as string };
}

describe('portal_link on an Account', () => {
  it('creates a portal session for the customer, the configuration once, and writes the link back with its expiry', async () => {
    const configurationsBefore = h.stripe.service.portalConfigurations().length;
    const { accountId, customerId } = customerAccount();
    const event = commandEvent('portal_link', accountId, { requestedBy: SUPPORT_AGENT });

    const result = await h.app.handle(event);
    const second = await h.app.handle(commandEvent('portal_link', customerAccount().accountId, { requestedBy: SUPPORT_AGENT }));

    expect(result).toMatchObject({ outcome: 'succeeded', command: 'portal_link', sobject: 'Account' });
    expect(second.outcome).toBe('succeeded');
    const session = h.stripe.service.portalSessions().find((s) => s.customer === customerId);
    const expiresAt = Math.floor(h.nowMs / 1000) + 7 * 86_400;
    expect(session).toMatchObject({ after_expiration: { type: 'customer_login', customer_login: { expires_at: expiresAt } } });
    // No default configuration in this account: the bridge made one, and reuses it.
    const configurations = h.stripe.service.portalConfigurations();
    expect(configurations.length - configurationsBefore).toBeLessThanOrEqual(1);
    expect(configurations.find((c) => c.id === session?.configuration)?.features).toMatchObject({ payment_method_update: { enabled: 'true' }, invoice_history: { enabled: 'true' } });
    expect(record('Account', accountId)).toMatchObject({ Stripe_Portal_Url__c: session?.url, Stripe_Portal_Url_Expires_At__c: new Date(expiresAt * 1000).toISOString() });
    expect(logOf(event)).toMatchObject({ Status__c: 'Succeeded', Stripe_Object_Id__c: session?.id, Stripe_Url__c: session?.url });
    // The link is a secret: not in any log line.
    expect(JSON.stringify(h.logs.lines)).not.toContain(session?.url as string);
  });

  it("uses the account's default configuration when its portal settings were saved", async () => {
    const saved = h.stripe.service.seedDefaultPortalConfiguration();
    const { accountId, customerId } = customerAccount();
    await h.app.handle(commandEvent('portal_link', accountId));
    expect(h.stripe.service.portalSessions().find((s) => s.customer === customerId)?.configuration).toBe(saved.id);
  });

  it('refuses an Account without a Stripe customer, before Stripe is called', async () => {
    const accountId = seedAccount(h.salesforce);
    const before = posts(/billing_portal/).length;
    const event = commandEvent('portal_link', accountId);

    expect(await h.app.handle(event)).toMatchObject({ outcome: 'rejected', code: 'CUSTOMER_MISSING' });
    expect(posts(/billing_portal/)).toHaveLength(before);
    expect(logOf(event)?.Message__c).toContain('no Stripe customer');
  });

  it('refuses a user without Stripe_Manage_Billing', async () => {
    const stranger = '005Ab00000000NOAAA';
    h.salesforce.grantCustomPermission(stranger, 'Stripe_Request_Payment');
    const result = await h.app.handle(commandEvent('portal_link', customerAccount().accountId, { requestedBy: stranger }));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'PERMISSION_MISSING' });
    expect(result.reason).toContain('Stripe_Manage_Billing');
  });
});

describe('update_payment_method on an Account', () => {
  it('creates a setup-mode Checkout Session for the customer and writes the link back', async () => {
    const { accountId, customerId } = customerAccount();
    const result = await h.app.handle(commandEvent('update_payment_method', accountId, { options: '{"expiresInHours": 4}' }));

    expect(result.outcome).toBe('succeeded');
    const session = h.stripe.service.setupSessions().find((s) => s.customer === customerId);
    expect(session).toMatchObject({ mode: 'setup', status: 'open', expires_at: Math.floor(h.nowMs / 1000) + 4 * 3600 });
    expect(record('Account', accountId)).toMatchObject({ Stripe_Payment_Method_Url__c: session?.url, Stripe_Payment_Method_Url_Expires_At__c: new Date((session?.expires_at as number) * 1000).toISOString() });
  });

  it('refuses a lifetime Stripe does not allow', async () => {
    const result = await h.app.handle(commandEvent('update_payment_method', customerAccount().accountId, { options: '{"expiresInHours": 48}' }));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'OPTIONS_INVALID' });
  });
});

describe('invoice actions on a Stripe_Invoice__c', () => {
  function seedInvoice(status: string, collection = 'send_invoice') {
    const { customerId, accountId } = customerAccount();
    const invoice = h.stripe.seedInvoice({ customer: customerId, status, collection_method: collection, number: 'GLOBEX-0001', amount_due: 5000, amount_paid: status === 'paid' ? 5000 : 0, amount_remaining: status === 'paid' ? 0 : 5000, currency: 'usd', hosted_invoice_url: 'https://invoice.example/fake', status_transitions: {} });
    const recordId = h.salesforce.insert('Stripe_Invoice__c', { Name: invoice.id, Stripe_Id__c: invoice.id, Status__c: 'Open', Number__c: 'GLOBEX-0001', Account__c: accountId });
    return { invoiceId: invoice.id as string, recordId };
  }
  const stripeInvoice = (id: string) => h.stripe.invoices().find((i) => i.id === id);

  it('voids an open invoice; Stripe sends invoice.voided', async () => {
    const { invoiceId, recordId } = seedInvoice('open');
    const event = commandEvent('void_invoice', recordId);
    expect(await h.app.handle(event)).toMatchObject({ outcome: 'succeeded', command: 'void_invoice', sobject: 'Stripe_Invoice__c' });
    expect(stripeInvoice(invoiceId)?.status).toBe('void');
    // "invoice.voided: Occurs whenever an invoice is voided" (https://docs.stripe.com/api/events/types).
    const voided = h.stripe.lists.events().filter((e) => e.type === 'invoice.voided' && (e.data.object as { id?: string }).id === invoiceId);
    expect(voided).toHaveLength(1);
    expect(voided[0]?.data.object).toMatchObject({ status: 'void', amount_remaining: 0 });
    expect(logOf(event)?.Message__c).toContain('Invoice GLOBEX-0001 voided');
  });

  it('refuses to void a paid invoice with a reason the rep can act on, without asking Stripe to void', async () => {
    const { invoiceId, recordId } = seedInvoice('paid');
    const result = await h.app.handle(commandEvent('void_invoice', recordId));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'INVOICE_STATE' });
    expect(result.reason).toContain('refund its payment instead');
    expect(posts(new RegExp(`/v1/invoices/${invoiceId}/void`))).toHaveLength(0);
  });

  it('marks an open invoice uncollectible; Stripe sends invoice.marked_uncollectible', async () => {
    const { invoiceId, recordId } = seedInvoice('open');
    expect((await h.app.handle(commandEvent('mark_uncollectible', recordId))).outcome).toBe('succeeded');
    expect(stripeInvoice(invoiceId)?.status).toBe('uncollectible');
    expect(h.stripe.lists.events().some((e) => e.type === 'invoice.marked_uncollectible' && (e.data.object as { id?: string }).id === invoiceId)).toBe(true);
  });

  it('sends an open invoice again, and refuses one Stripe charges automatically', async () => {
    const open = seedInvoice('open');
    const automatic = seedInvoice('open', 'charge_automatically');
    expect((await h.app.handle(commandEvent('send_invoice', open.recordId, { requestedBy: SUPPORT_AGENT }))).outcome).toBe('succeeded');
    expect(stripeInvoice(open.invoiceId)?.sent_at).toBeTypeOf('number');
    const refused = await h.app.handle(commandEvent('send_invoice', automatic.recordId, { requestedBy: SUPPORT_AGENT }));
    expect(refused).toMatchObject({ outcome: 'rejected', code: 'INVOICE_STATE' });
  });

  it('lets a support agent resend but not void (Stripe_Issue_Refunds)', async () => {
    const { recordId } = seedInvoice('open');
    const result = await h.app.handle(commandEvent('void_invoice', recordId, { requestedBy: SUPPORT_AGENT }));
    expect(result).toMatchObject({ outcome: 'rejected', code: 'PERMISSION_MISSING' });
  });

  it('voids once when the command is delivered again', async () => {
    const { invoiceId, recordId } = seedInvoice('open');
    const event = commandEvent('void_invoice', recordId);
    await h.app.handle(event);
    expect((await h.app.handle(event)).outcome).toBe('duplicate');
    expect(posts(new RegExp(`/v1/invoices/${invoiceId}/void`))).toHaveLength(1);
  });
});
