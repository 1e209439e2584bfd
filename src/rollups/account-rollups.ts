/**
 * The roll-up step of a consumer batch: which Accounts the batch touched, the reads that must see
 * its writes (they ride in the batch's own Composite request), and the Account updates computed
 * from the answers (one more Composite request for every Account the batch touched). A roll-up
 * that cannot run is logged and skipped: the events are written all the same, and the next
 * batch that touches the Account recomputes it whole.
 */
import type { ReadAfterWrite, ReadAnswer, SalesforceMutation } from '../contracts/salesforce-mutation.js';
import type { StripeMode } from '../stripe/event-scope.js';
import type { OrgCurrencies } from '../salesforce/org-profile.js';
import { rollupMutations, rollupReads, touchedCustomers } from './rollup-queries.js';

export interface AccountRollups {
  /**
   * The reads for the Accounts these mutations touch, to ride with the batch's write; empty when
   * they touch none; undefined while the org's currencies are not known yet (the first batch of
   * an execution environment reads them after its write, so a probe during an outage costs
   * Salesforce one call, not three).
   */
  readsNow(mutations: readonly SalesforceMutation[]): readonly ReadAfterWrite[] | undefined;
  /** The same reads, reading the org's currencies first when needed. */
  reads(mutations: readonly SalesforceMutation[]): Promise<readonly ReadAfterWrite[]>;
  /** One update per Account read back. */
  updates(answers: ReadonlyMap<string, ReadAnswer>): Promise<SalesforceMutation[]>;
}

export interface AccountRollupDeps {
  /** Reads the org's currencies (src/salesforce/org-profile.ts); called until it succeeds once. */
  readonly orgCurrencies: () => Promise<OrgCurrencies>;
  /** The deployment's Stripe mode (from its key), for the Dashboard link. */
  readonly mode: () => StripeMode | undefined;
  readonly now: () => number;
}

export function createAccountRollups(deps: AccountRollupDeps): AccountRollups {
  let org: OrgCurrencies | undefined;
  const known = async (): Promise<OrgCurrencies> => (org ??= await deps.orgCurrencies());
  const readsFor = (mutations: readonly SalesforceMutation[], currencies: OrgCurrencies): ReadAfterWrite[] => {
    const customers = touchedCustomers(mutations);
    return customers.length === 0 ? [] : rollupReads(customers, currencies);
  };
  return {
    readsNow: (mutations) => (org === undefined ? undefined : readsFor(mutations, org)),
    reads: async (mutations) => (touchedCustomers(mutations).length === 0 ? [] : readsFor(mutations, await known())),
    updates: async (answers) => rollupMutations(answers, { org: await known(), mode: deps.mode(), now: deps.now() }),
  };
}
