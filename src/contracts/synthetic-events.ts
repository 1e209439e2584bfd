/**
 * Events the bridge makes up itself: the backfill and the reconciler wrap an object's current
 * state in an event of the type that state stands for (src/reconcile/stripe-objects.ts,
 * `syntheticEvent`). They describe a state, not a change: nothing that counts movements (MRR
 * changes) may be derived from them. Depends on nothing.
 */
export const SYNTHETIC_EVENT_ID_PREFIXES = ['evt_backfill_', 'evt_reconcile_'] as const;

export function isSyntheticEventId(eventId: string): boolean {
  return SYNTHETIC_EVENT_ID_PREFIXES.some((prefix) => eventId.startsWith(prefix));
}
