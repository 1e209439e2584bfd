/**
 * Which Account carries each Stripe customer id, as this execution environment last read it (the
 * Account roll-up's read, or a renewal owners query). Lets a renewal Task name its Account without
 * a read of its own: its owner comes from the roll-up's fresh read (task-owners.ts), and an Account
 * deleted since is refused by Salesforce, never guessed (renewal.ts `renewalTask`).
 *
 * An Account's Id never changes and a customer id, once set on an Account, is kept there (the
 * Account validation rule), so an entry goes wrong only when the Account is deleted or merged away:
 * then the Task write is refused and the entry forgotten. Bounded: the least recently learned
 * customers go first.
 */
import type { AccountRollups } from '../rollups/account-rollups.js';
import { rolledUpAccounts } from './task-owners.js';

export class AccountDirectory {
  private readonly byCustomer = new Map<string, string>();

  constructor(private readonly capacity = 10_000) {}

  accountOf(customerId: string): string | undefined {
    return this.byCustomer.get(customerId);
  }

  learn(rows: Iterable<{ readonly customerId: string; readonly accountId: string }>): void {
    for (const { customerId, accountId } of rows) {
      this.byCustomer.delete(customerId);
      this.byCustomer.set(customerId, accountId);
      if (this.byCustomer.size > this.capacity) {
        const oldest = this.byCustomer.keys().next().value;
        if (oldest !== undefined) this.byCustomer.delete(oldest);
      }
    }
  }

  forget(customerId: string): void {
    this.byCustomer.delete(customerId);
  }
}

/** The roll-ups, teaching `directory` the Accounts each roll-up read found. */
export function learningAccounts(rollups: AccountRollups, directory: AccountDirectory): AccountRollups {
  return {
    ...rollups,
    updates: async (answers) => {
      directory.learn([...rolledUpAccounts(answers)].map(([customerId, account]) => ({ customerId, accountId: account.id })));
      return rollups.updates(answers);
    },
  };
}
