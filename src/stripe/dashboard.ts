/**
 * Links into the Stripe Dashboard that the bridge writes to Salesforce (Account, renewal
 * Opportunity, Sync Log), so people land on the object in the right mode: test-mode data lives
 * under /test. Pure.
 */
export type DashboardSection = 'customers' | 'subscriptions' | 'events';

export function stripeDashboardPage(section: DashboardSection, id: string, livemode: boolean): string {
  return `https://dashboard.stripe.com/${livemode ? '' : 'test/'}${section}/${encodeURIComponent(id)}`;
}
