/** What the drift report compares: the Stripe objects behind the bridge's own Salesforce records. */
export const DRIFT_KINDS = ['payments', 'invoices', 'subscriptions'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export function parseDriftKinds(text: string): DriftKind[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !(DRIFT_KINDS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`Unknown object kind ${unknown.join(', ')} (expected ${DRIFT_KINDS.join(', ')})`);
  return DRIFT_KINDS.filter((k) => names.includes(k));
}
