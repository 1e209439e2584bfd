/**
 * A Task the bridge keeps for a person in Salesforce, upserted on `Stripe_Task_Key__c` so a
 * redelivered event updates its one Task instead of adding another. Status is never sent: a new
 * Task takes the org's default (Not Started), and a Task a rep (or the bridge) completed stays
 * completed whatever event comes late. The owner is the given user or queue, else the Account's
 * owner, assigned after the write (src/inbound/task-owners.ts), else the integration user.
 * Any flow that needs a Task (failed payments, renewals) builds it here.
 */
import type { SalesforceMutation } from './mutation.js';
import { truncate } from './records.js';

export interface BridgeTask {
  /** Unique per Task, e.g. `payment-failed:in_123`. */
  readonly key: string;
  readonly subject: string;
  readonly description: string;
  /** `YYYY-MM-DD`: when it should be done. */
  readonly dueDate?: string | undefined;
  readonly priority?: 'High' | 'Normal' | 'Low' | undefined;
  /** The Stripe object it is about (in_…, pi_…, sub_…). */
  readonly stripeObjectId?: string | undefined;
  /** The Stripe customer whose Account (and Account owner) the Task belongs to. */
  readonly customerId?: string | undefined;
  /** The record it is related to (an Account or Opportunity id), when known. */
  readonly whatId?: string | undefined;
  /** A user (005…) or queue (00G…) id; undefined: the Account's owner. */
  readonly ownerId?: string | undefined;
}

/** Task.Description is a long text area of 32,000 characters. */
const MAX_DESCRIPTION = 32_000;

export function bridgeTask(task: BridgeTask): SalesforceMutation {
  const fields: Record<string, string> = {
    Subject: truncate(task.subject) ?? task.key,
    Description: task.description.slice(0, MAX_DESCRIPTION),
  };
  if (task.dueDate !== undefined) fields['ActivityDate'] = task.dueDate;
  if (task.priority !== undefined) fields['Priority'] = task.priority;
  if (task.stripeObjectId !== undefined) fields['Stripe_Object_Id__c'] = task.stripeObjectId;
  if (task.customerId !== undefined) fields['Stripe_Customer_Id__c'] = task.customerId;
  if (task.whatId !== undefined) fields['WhatId'] = task.whatId;
  if (task.ownerId !== undefined) fields['OwnerId'] = task.ownerId;
  return {
    sobject: 'Task',
    key: { field: 'Stripe_Task_Key__c', value: task.key },
    fields,
    // A related record that is gone (or of another org) is dropped; the Task is still written.
    optionalReferences: task.whatId === undefined ? [] : ['WhatId'],
  };
}

/** The key of a Task a mutation writes, or undefined for any other mutation. */
export function taskKeyOf(mutation: SalesforceMutation): string | undefined {
  return mutation.sobject === 'Task' ? mutation.key.value : undefined;
}
