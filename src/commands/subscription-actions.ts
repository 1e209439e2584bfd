/**
 * `cancel_subscription`, `pause_subscription`, `resume_subscription` on a Stripe_Subscription__c
 * (src/stripe/subscription-actions.ts holds Stripe's state rules). The record's new state
 * arrives with the events Stripe sends back (customer.subscription.updated / .deleted), like any
 * change made in Stripe; the Sync Log says at once what was done or why not.
 *
 * Options__c:
 * - cancel_subscription: `{"at":"period_end"}` (default: the customer keeps what they paid for
 *   and it can be undone until then, the safe choice for support) or `{"at":"now"}` with
 *   `prorate` (credit the unused time) and `invoiceNow` (a final invoice now);
 * - pause_subscription: `behavior` keep_as_draft (default: nothing is written off, the drafts
 *   can still be collected), mark_uncollectible or void, and `resumesAt` (ISO date or date-time).
 *
 * Permissions: all three need Stripe_Manage_Billing. What gives up or moves money needs
 * Stripe_Issue_Refunds too, as void_invoice and mark_uncollectible do: a cancellation now that
 * credits (`prorate`) or invoices (`invoiceNow`), and a pause that voids or writes off the
 * invoices it creates.
 */
import { PermanentError } from '../errors.js';
import type { OutboundResult } from '../outbound/process-request.js';
import { applySubscriptionAction, type PauseBehavior, type SubscriptionAction, type SubscriptionState } from '../stripe/subscription-actions.js';
import { stripeRefusal } from '../stripe/service-port.js';
import type { CommandDefinition, CommandPorts } from './command.js';
import type { CommandRequest } from './command-request.js';

type ActionName = 'cancel_subscription' | 'pause_subscription' | 'resume_subscription';

const day = (seconds: number | undefined): string => (seconds === undefined ? 'the end of its period' : new Date(seconds * 1000).toISOString().slice(0, 10));

const BEHAVIOR_WORDS: Readonly<Record<string, string>> = {
  keep_as_draft: 'its invoices are kept as drafts',
  mark_uncollectible: 'its invoices are marked uncollectible',
  void: 'its invoices are voided',
};

/** What the request asks, or why its options cannot be done. */
function actionOf(name: ActionName, request: CommandRequest, nowMs: number): SubscriptionAction | { readonly refuse: string } {
  const options = request.options;
  switch (name) {
    case 'cancel_subscription':
      if (options.at === 'now') return { kind: 'cancel_now', prorate: options.prorate === true, invoiceNow: options.invoiceNow === true };
      if (options.prorate !== undefined || options.invoiceNow !== undefined) return { refuse: 'Options__c: prorate and invoiceNow apply to {"at":"now"} only' };
      return { kind: 'cancel_at_period_end' };
    case 'pause_subscription': {
      let resumesAt: number | undefined;
      if (options.resumesAt !== undefined) {
        resumesAt = Math.floor(Date.parse(options.resumesAt.length === 10 ? `${options.resumesAt}T00:00:00Z` : options.resumesAt) / 1000);
        if (!Number.isFinite(resumesAt) || resumesAt * 1000 <= nowMs) return { refuse: 'Options__c: resumesAt must be a date in the future' };
      }
      return { kind: 'pause', behavior: (options.behavior ?? 'keep_as_draft') as PauseBehavior, resumesAt };
    }
    case 'resume_subscription':
      return { kind: 'resume' };
  }
}

function message(action: SubscriptionAction, name: string, state: SubscriptionState, already: boolean): string {
  switch (action.kind) {
    case 'cancel_at_period_end':
      return already
        ? `${name} was already set to cancel at the end of its period (${day(state.cancelAt)}); nothing changed.`
        : `${name} will be canceled at the end of its period (${day(state.cancelAt)}); the customer keeps it until then, and it can still be undone.`;
    case 'cancel_now': {
      const extras = [action.prorate ? 'the unused time credited to the customer' : undefined, action.invoiceNow ? 'a final invoice created' : undefined].filter((e) => e !== undefined);
      return already ? `${name} was already canceled by this request; nothing changed.` : `${name} canceled now${extras.length === 0 ? '' : `, ${extras.join(' and ')}`}.`;
    }
    case 'pause': {
      const until = state.pauseResumesAt === undefined ? 'until it is resumed' : `until ${day(state.pauseResumesAt)}`;
      return `${already ? `${name} was already paused this way` : `Payment collection on ${name} paused`} ${until}: ${BEHAVIOR_WORDS[action.behavior] ?? action.behavior}.`;
    }
    case 'resume':
      return already ? `${name} was already resumed by this request.` : `${name} resumed: Stripe collects its payments again (${state.status}).`;
  }
}

async function readSubscription(recordId: string, ports: CommandPorts): Promise<string | undefined> {
  const [row] = await ports.service.records.query(`SELECT Id, Stripe_Id__c FROM Stripe_Subscription__c WHERE Id = '${recordId}'`);
  if (row === undefined) throw new PermanentError(`Stripe_Subscription__c ${recordId} does not exist or is not visible to the integration user`, { code: 'RECORD_NOT_FOUND' });
  const id = row['Stripe_Id__c'];
  return typeof id === 'string' && id.startsWith('sub_') ? id : undefined;
}

function subscriptionCommand(name: ActionName, doc: Pick<CommandDefinition, 'effect' | 'permissionFor'>): CommandDefinition {
  return {
    name,
    recordTypes: [{ sobject: 'Stripe_Subscription__c', prefix: undefined }],
    permission: 'Stripe_Manage_Billing',
    ...doc,
    idempotency: `sfbridge:<EventUuid>:${name} on every POST, the command id in the subscription's metadata (salesforce_command_id) or, for a cancellation now, in cancellation_details.comment: a retry finds its own effect and changes nothing`,
    writeBack: 'Stripe_Subscription__c status, Cancel_At_Period_End__c, Cancel_At__c, Canceled_At__c, Pause_Behavior__c, Pause_Resumes_At__c from the customer.subscription.* events; Sync Log with the outcome',
    async run({ request, recordId }, ports): Promise<OutboundResult> {
      const base = { eventId: request.eventId, recordId, mode: name };
      const action = actionOf(name, request, ports.now());
      if ('refuse' in action) return { ...base, outcome: 'rejected', code: 'OPTIONS_INVALID', reason: action.refuse };
      const subscriptionId = await readSubscription(recordId, ports);
      if (subscriptionId === undefined) return { ...base, outcome: 'rejected', code: 'SUBSCRIPTION_ID_MISSING', reason: 'This record has no Stripe subscription id (Stripe_Id__c)' };
      const label = `Subscription ${subscriptionId}`;
      let result;
      try {
        result = await ports.service.stripe.call((stripe) => applySubscriptionAction(stripe, subscriptionId, action, request.eventId, `sfbridge:${request.eventId}:${name}`));
      } catch (err) {
        const refusal = stripeRefusal(err);
        if (refusal === undefined) throw err;
        return { ...base, outcome: 'rejected', code: 'STRIPE_REFUSED', reason: `Stripe refused: ${refusal.message} (${refusal.stripeCode})` };
      }
      if (result.kind === 'refused') return { ...base, outcome: 'rejected', code: 'SUBSCRIPTION_STATE', reason: `${label} was not changed: ${result.reason}` };
      return { ...base, outcome: 'succeeded', subscriptionId, stripeObjectId: subscriptionId, message: message(action, label, result.subscription, result.already) };
    },
  };
}

export const cancelSubscriptionCommand = subscriptionCommand('cancel_subscription', {
  effect: 'cancels the subscription at the end of its period (default) or now (Options__c {"at":"now"}, optionally "prorate", "invoiceNow")',
  permissionFor: (request) => (request.options.at === 'now' && (request.options.prorate === true || request.options.invoiceNow === true) ? 'Stripe_Issue_Refunds' : undefined),
});

export const pauseSubscriptionCommand = subscriptionCommand('pause_subscription', {
  effect: 'pauses payment collection (Options__c "behavior": keep_as_draft by default, mark_uncollectible or void; "resumesAt"); the subscription stays active',
  permissionFor: (request) => (request.options.behavior === 'void' || request.options.behavior === 'mark_uncollectible' ? 'Stripe_Issue_Refunds' : undefined),
});

export const resumeSubscriptionCommand = subscriptionCommand('resume_subscription', {
  effect: 'resumes payment collection (clears pause_collection), or resumes a subscription Stripe paused (status paused)',
});
