/**
 * What a mapper produces: Salesforce mutations, pure data (their type is a contract shared with
 * the Salesforce writer, in src/contracts). The consumer core writes them through the writer.
 */
import type { SalesforceMutation } from '../contracts/salesforce-mutation.js';

export {
  type ExternalIdReference,
  type SalesforceFieldValue,
  type SalesforceMutation,
  type SObjectName,
} from '../contracts/salesforce-mutation.js';

/** The effect of one Stripe event. */
export interface EventEffect {
  readonly eventId: string;
  readonly eventType: string;
  /** `event.created`, seconds since the epoch: the ordering clock. */
  readonly created: number;
  /**
   * Tie-breaker between events of the same second on the same record: the higher rank wins
   * (e.g. a refund outranks a success, a payment outranks a failure). See contracts/precedence.
   */
  readonly rank: number;
  readonly mutations: readonly SalesforceMutation[];
  /** What the mapper passed over and why (e.g. a metadata id of the wrong object): logged, not fatal. */
  readonly warnings?: readonly string[];
}

export type MapResult =
  | { readonly outcome: 'mapped'; readonly effect: EventEffect }
  | { readonly outcome: 'skipped'; readonly reason: string };
