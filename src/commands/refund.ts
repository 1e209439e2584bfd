/**
 * `refund` on a Stripe_Payment__c: gives money back through Stripe, in full (blank Amount__c) or
 * in part (Amount__c in major units of the payment's currency), with a reason (Reason__c:
 * duplicate, fraudulent or requested_by_customer). Bounded before Stripe is called
 * (refund-plan.ts); one refund per command whatever the retries (idempotency key, and the
 * command id in the refund's metadata); the refund is written to Stripe_Refund__c at once, and
 * its later states come from Stripe's refund events (mappers/refund.ts).
 */
import { precedenceKey, precedenceOf } from '../contracts/precedence.js';
import { PermanentError } from '../errors.js';
import { REFUND_STATUS, refundMutation, refundRank } from '../mappers/refund.js';
import { formatMoney } from '../mappers/records.js';
import { METADATA_KEYS } from '../contracts/metadata.js';
import { issueRefund, type IssuedRefund } from '../stripe/refunds.js';
import { stripeRefusal } from '../stripe/service-port.js';
import type { OutboundResult } from '../outbound/process-request.js';
import type { CommandDefinition, CommandPorts } from './command.js';
import { planRefund, type KnownRefund, type RefundablePayment } from './refund-plan.js';
import { isUserId } from './permissions.js';
import type { SalesforceRow } from './service-ports.js';

const text = (row: SalesforceRow, field: string): string | undefined => {
  const value = row[field];
  return typeof value === 'string' && value !== '' ? value : undefined;
};
const decimal = (row: SalesforceRow, field: string): number | undefined => {
  const value = row[field];
  return typeof value === 'number' ? value : undefined;
};

/** The payment, and the refunds Salesforce already knows for it (two queries; ids validated by the dispatcher). */
async function readPayment(recordId: string, ports: CommandPorts): Promise<{ payment: RefundablePayment; row: SalesforceRow; known: KnownRefund[] }> {
  const [row] = await ports.service.records.query(
    `SELECT Id, Stripe_Id__c, Status__c, Amount__c, Amount_Refunded__c, Currency_Code__c, Account__c, Opportunity__c, Livemode__c FROM Stripe_Payment__c WHERE Id = '${recordId}'`,
  );
  if (row === undefined) {
    throw new PermanentError(`Stripe_Payment__c ${recordId} does not exist or is not visible to the integration user`, { code: 'RECORD_NOT_FOUND' });
  }
  const refunds = await ports.service.records.query(`SELECT Amount__c, Currency_Code__c, Status__c FROM Stripe_Refund__c WHERE Payment__c = '${recordId}'`);
  return {
    row,
    payment: {
      stripeId: text(row, 'Stripe_Id__c'),
      status: text(row, 'Status__c'),
      amount: decimal(row, 'Amount__c'),
      amountRefunded: decimal(row, 'Amount_Refunded__c'),
      currency: text(row, 'Currency_Code__c'),
    },
    known: refunds.map((r) => ({ amount: decimal(r, 'Amount__c'), currency: text(r, 'Currency_Code__c'), status: text(r, 'Status__c') })),
  };
}

/**
 * Stripe_Refund__c as Stripe answered, with what only the command knows (who asked, which
 * payment record). Carries the precedence key of the refund's own state at its creation time: a
 * refund event already applied (a newer state) keeps its status, and the links are written alone.
 */
async function writeRefund(refund: IssuedRefund, context: { eventId: string; recordId: string; requestedBy: string | undefined; livemode: boolean; row: SalesforceRow }, ports: CommandPorts): Promise<void> {
  const facts = { id: context.eventId, type: 'refund', created: refund.created, livemode: context.livemode };
  const mutation = refundMutation(
    facts,
    {
      id: refund.id,
      amount: refund.amount,
      created: refund.created,
      currency: refund.currency,
      status: refund.status,
      reason: refund.reason,
      failure_reason: refund.failureReason,
      charge: refund.chargeId,
      payment_intent: refund.paymentIntentId,
      metadata: {},
    },
    {
      Payment__c: context.recordId,
      Account__c: text(context.row, 'Account__c'),
      Opportunity__c: text(context.row, 'Opportunity__c'),
      Requested_By__c: isUserId(context.requestedBy) ? context.requestedBy : undefined,
      Command_Event_Id__c: context.eventId,
    },
  );
  const status = REFUND_STATUS[refund.status];
  const record: Record<string, unknown> = { ...mutation.fields, Stripe_Id__c: refund.id };
  const version = precedenceKey(precedenceOf('Stripe_Refund__c', status, facts, refundRank(status)));
  const applied = await ports.service.records.upsert('Stripe_Refund__c', 'Stripe_Id__c', { ...record, Stripe_Event_Order__c: version });
  if (applied === 'stale') {
    const { Status__c: _status, Failure_Reason__c: _failure, Last_Stripe_Event_At__c: _at, ...links } = record;
    await ports.service.records.upsert('Stripe_Refund__c', 'Stripe_Id__c', links);
  }
}

export const refundCommand: CommandDefinition = {
  name: 'refund',
  recordTypes: [{ sobject: 'Stripe_Payment__c', prefix: undefined }],
  permission: 'Stripe_Issue_Refunds',
  effect: 'a Stripe refund of the payment (PaymentIntent or charge): all that is left, or Amount__c; reason from Reason__c',
  idempotency: 'sfbridge:<EventUuid>:refund; the command id in the refund metadata (salesforce_command_id) finds it after Stripe forgets the key',
  writeBack: 'Stripe_Refund__c (status, amount, currency, reason, requester, payment, Account, Opportunity); later states from refund.* events',
  async run({ request, recordId }, ports): Promise<OutboundResult> {
    const base = { eventId: request.eventId, recordId, mode: 'refund' };
    const { payment, row, known } = await readPayment(recordId, ports);
    const plan = planRefund(payment, known, { amount: request.amount, reason: request.reason });
    if (plan.kind === 'refuse') return { ...base, outcome: 'rejected', code: plan.code, reason: plan.reason };

    let refund: IssuedRefund;
    try {
      refund = await ports.service.stripe.call((stripe) =>
        issueRefund(stripe, {
          paymentId: plan.paymentId,
          amount: plan.amount,
          reason: plan.reason,
          commandId: request.eventId,
          idempotencyKey: `sfbridge:${request.eventId}:refund`,
          metadata: {
            salesforce_payment_id: recordId,
            ...(text(row, 'Account__c') === undefined ? {} : { [METADATA_KEYS.account]: text(row, 'Account__c') as string }),
            ...(text(row, 'Opportunity__c') === undefined ? {} : { [METADATA_KEYS.opportunity]: text(row, 'Opportunity__c') as string }),
            ...(isUserId(request.requestedBy) ? { salesforce_requested_by: request.requestedBy } : {}),
          },
        }),
      );
    } catch (err) {
      const refusal = stripeRefusal(err);
      if (refusal === undefined) throw err;
      return { ...base, outcome: 'rejected', code: 'STRIPE_REFUSED', reason: `Stripe refused the refund: ${refusal.message} (${refusal.stripeCode})` };
    }
    await writeRefund(refund, { eventId: request.eventId, recordId, requestedBy: request.requestedBy, livemode: row['Livemode__c'] === true, row }, ports);
    const amount = formatMoney(refund.amount, refund.currency);
    return {
      ...base,
      outcome: 'succeeded',
      stripeObjectId: refund.id,
      message: refund.existing
        ? `Refund ${refund.id} of ${amount} was already issued for this request; nothing was refunded twice.`
        : `Refund ${refund.id} of ${amount} issued (${REFUND_STATUS[refund.status] ?? refund.status}); the customer sees it in 5–10 business days.`,
    };
  },
};
