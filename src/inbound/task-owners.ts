/**
 * Failed-payment and renewal Tasks (and renewal Opportunities) go to the Account's owner, found
 * without a call of their own: the Account roll-up already reads the batch's Accounts in the
 * batch's Composite request (their OwnerId with it), and writes the Accounts in one more; the
 * owner (and the related Account, when the event named only the customer) of each Task the batch
 * created rides in that write. Pure.
 *
 * Only Tasks created by this batch are assigned: a Task a rep reassigned keeps its owner when a
 * later failure of the same invoice updates it. Without roll-ups (ACCOUNT_ROLLUPS=off) a Task
 * keeps the owner the event gave it (FAILED_PAYMENT_TASK_OWNER_ID), else the integration user.
 */
import type { ReadAnswer, SalesforceMutation } from '../contracts/salesforce-mutation.js';

export interface CreatedTask {
  /** A Task, or a renewal Opportunity (src/mappers/renewal-opportunity.ts), which is assigned the same way. */
  readonly sobject: 'Task' | 'Opportunity';
  readonly taskId: string;
  readonly customerId: string;
  /** The Task already names its related record. */
  readonly related: boolean;
}

interface WrittenTask {
  readonly sobject: string;
  readonly keyValue?: string;
  readonly id: string | undefined;
  readonly created?: boolean | undefined;
  readonly stale?: true;
}

const ASSIGNED = new Set(['Task', 'Opportunity']);

/** The Tasks (and renewal Opportunities) these writes created that still need an owner: their mutation named none. */
export function tasksNeedingOwner(mutations: readonly SalesforceMutation[], written: readonly WrittenTask[]): CreatedTask[] {
  const byKey = new Map(mutations.filter((m) => ASSIGNED.has(m.sobject)).map((m) => [`${m.sobject}\u0000${m.key.value}`, m]));
  return written.flatMap((record): CreatedTask[] => {
    if (!ASSIGNED.has(record.sobject) || record.created !== true || record.id === undefined || record.stale === true) return [];
    const mutation = record.keyValue === undefined ? undefined : byKey.get(`${record.sobject}\u0000${record.keyValue}`);
    const customerId = mutation?.fields['Stripe_Customer_Id__c'];
    if (mutation === undefined || typeof customerId !== 'string' || 'OwnerId' in mutation.fields) return [];
    const sobject = record.sobject === 'Opportunity' ? 'Opportunity' : 'Task';
    // An Opportunity always names its Account (AccountId).
    return [{ sobject, taskId: record.id, customerId, related: sobject === 'Opportunity' || 'WhatId' in mutation.fields }];
  });
}

/** The Accounts the roll-up read, by Stripe customer id, with their owners; empty when the read failed. */
export function rolledUpAccounts(answers: ReadonlyMap<string, ReadAnswer>): Map<string, { readonly id: string; readonly ownerId: string }> {
  const accounts = new Map<string, { readonly id: string; readonly ownerId: string }>();
  const answer = answers.get('rollupAccounts');
  const records = answer !== undefined && answer.httpStatusCode < 300 ? (answer.body as { records?: unknown } | null)?.records : undefined;
  if (!Array.isArray(records)) return accounts;
  for (const row of records as Array<Record<string, unknown>>) {
    const { Id: id, OwnerId: ownerId, Stripe_Customer_Id__c: customerId } = row;
    if (typeof id === 'string' && typeof ownerId === 'string' && typeof customerId === 'string') accounts.set(customerId, { id, ownerId });
  }
  return accounts;
}

/** One update per Task whose customer's Account the roll-up read: its owner, and the Account as related record. */
export function taskOwnerUpdates(answers: ReadonlyMap<string, ReadAnswer>, tasks: readonly CreatedTask[]): SalesforceMutation[] {
  if (tasks.length === 0) return [];
  const accounts = rolledUpAccounts(answers);
  return tasks.flatMap((task): SalesforceMutation[] => {
    const account = accounts.get(task.customerId);
    if (account === undefined) return [];
    return [
      {
        sobject: task.sobject,
        key: { field: 'Id', value: task.taskId },
        fields: { OwnerId: account.ownerId, ...(task.related ? {} : { WhatId: account.id }) },
        // A Task deleted since it was written is skipped, not a failure.
        skipIfMissing: true,
      },
    ];
  });
}
