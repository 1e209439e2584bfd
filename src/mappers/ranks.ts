/**
 * Event ranks: how much an event settles the state of a record. Used by the ordering guard:
 * - newer events win (compare `event.created`);
 * - within the same second the higher rank wins;
 * - a settled state (rank ≥ SETTLED) is never undone by an unsettled event (rank < SETTLED),
 *   however new: an Opportunity paid through one invoice does not go back to "Payment Failed"
 *   because another attempt failed, nor to "Canceled" when an abandoned checkout expires.
 */
export const RANK = {
  /** Created, finalized, processing, canceled, expired, subscription/customer updates. */
  OPEN: 10,
  /** A payment attempt failed; the amount is still owed. */
  FAILED: 20,
  /** Paid or succeeded; also terminal record states such as void or a deleted subscription. */
  SETTLED: 30,
  PARTIALLY_REFUNDED: 40,
  DISPUTED: 50,
  DISPUTE_CLOSED: 55,
  REFUNDED: 60,
} as const;

export const SETTLED_RANK = RANK.SETTLED;

/** The guard rule in one place (the DynamoDB condition expression implements the same rule). */
export function supersedes(
  incoming: { readonly created: number; readonly rank: number },
  stored: { readonly created: number; readonly rank: number } | undefined,
): boolean {
  if (stored === undefined) return true;
  if (incoming.created === stored.created) return incoming.rank >= stored.rank;
  if (incoming.created < stored.created) return false;
  return stored.rank < SETTLED_RANK || incoming.rank >= SETTLED_RANK;
}
