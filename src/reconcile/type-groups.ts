/**
 * Stripe's `GET /v1/events` filters by at most 20 types per request ("An array of up to 20
 * strings containing specific event names": stripe-node's `EventListParams.types`), and the bridge
 * handles more. The handled types are split into fixed groups, each read with its own cursor and
 * checkpoint. A group's key is derived from its types, so a changed list starts a fresh checkpoint
 * instead of resuming one that skipped the new types.
 */
import { createHash } from 'node:crypto';

export const MAX_TYPES_PER_REQUEST = 20;

export interface TypeGroup {
  /** Stable for the same set of types: `g<12 hex>`. */
  readonly key: string;
  readonly types: readonly string[];
}

export function typeGroups(handledTypes: Iterable<string>): TypeGroup[] {
  const sorted = [...new Set(handledTypes)].sort();
  const groups: TypeGroup[] = [];
  for (let start = 0; start < sorted.length; start += MAX_TYPES_PER_REQUEST) {
    const types = sorted.slice(start, start + MAX_TYPES_PER_REQUEST);
    const key = `g${createHash('sha256').update(types.join(',')).digest('hex').slice(0, 12)}`;
    groups.push({ key, types });
  }
  return groups;
}
