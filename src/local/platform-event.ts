/**
 * A sample `Stripe_Payment_Request__e` as the outbound Lambda receives it: the EventBridge event
 * Salesforce Event Relay puts on the partner bus when the Closed Won Flow publishes one.
 * Fake org, account and user ids only.
 */
import { randomUUID } from 'node:crypto';
import { PAYMENT_REQUEST_EVENT } from '../outbound/payment-request.js';
import { COMMAND_EVENT } from '../outbound/payment-request.js';
import { SAMPLE_OPPORTUNITY_ID, SAMPLE_REP_ID } from './sample-events.js';

export interface ClosedWonOptions {
  readonly opportunityId?: string;
  /** `invoice` or `payment_link`; undefined lets the Opportunity's Stripe_Payment_Mode__c decide. */
  readonly mode?: string | undefined;
  readonly daysUntilDue?: number | undefined;
  /** The platform event's EventUuid (dedup identity); fresh by default. */
  readonly eventUuid?: string;
  readonly now?: Date;
}

export function closedWonEvent(options: ClosedWonOptions = {}) {
  const eventUuid = options.eventUuid ?? randomUUID();
  const at = (options.now ?? new Date()).toISOString();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': PAYMENT_REQUEST_EVENT,
    source: 'aws.partner/salesforce.com/00DAb0000000LocalEAA/0YLAb0000000LocalGAA',
    account: '000000000000',
    time: at.replace(/\.\d+Z$/, 'Z'),
    region: 'us-east-1',
    resources: [],
    detail: {
      payload: {
        Opportunity_Id__c: options.opportunityId ?? SAMPLE_OPPORTUNITY_ID,
        Mode__c: options.mode ?? null,
        Days_Until_Due__c: options.daysUntilDue ?? null,
        CreatedById: SAMPLE_REP_ID,
        CreatedDate: at,
        EventUuid: eventUuid,
      },
      schemaId: 'local_schema_id_0001',
      id: eventUuid,
    },
  };
}

/** A `Stripe_Command__e` as Event Relay delivers it, published by the sample rep (the shipped Flows set Requested_By__c = $User.Id). */
export function commandEvent(
  command: string,
  recordId: string,
  options: { readonly now?: Date; readonly eventUuid?: string; readonly amount?: number | undefined; readonly reason?: string | undefined; readonly options?: string | undefined } = {},
) {
  const eventUuid = options.eventUuid ?? randomUUID();
  const at = (options.now ?? new Date()).toISOString();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': COMMAND_EVENT,
    source: 'aws.partner/salesforce.com/00DAb0000000LocalEAA/0YLAb0000000LocalGAA',
    account: '000000000000',
    time: at.replace(/\.\d+Z$/, 'Z'),
    region: 'us-east-1',
    resources: [],
    detail: {
      payload: {
        Command__c: command,
        Record_Id__c: recordId,
        Amount__c: options.amount ?? null,
        Reason__c: options.reason ?? null,
        Options__c: options.options ?? null,
        Requested_By__c: SAMPLE_REP_ID,
        CreatedById: SAMPLE_REP_ID,
        CreatedDate: at,
        EventUuid: eventUuid,
      },
      schemaId: 'local_schema_id_0002',
      id: eventUuid,
    },
  };
}
