/**
 * The Event Relay envelope as Salesforce documents it, not as our own factory writes it.
 *
 * - `source` is the partner event source, "in the format aws.partner/salesforce.com/orgID/channelID.
 *   For example: aws.partner/salesforce.com/00DRM000000Fxts2AC/0YLRM0000004Dfg4AE."
 *   (Salesforce Object Reference, EventRelayFeedback.RemoteResource:
 *   https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_eventrelayfeedback.htm)
 * - `detail-type` is the platform event's API name; the event fields are under `detail.payload`,
 *   next to `detail.schemaId` and the event's id (Salesforce Event Relay guide,
 *   https://developer.salesforce.com/docs/platform/event-relay/guide/process-events-rules.html).
 * - Event Relay is built on the Pub/Sub API, which renders a platform event's system date fields
 *   as Avro `long` epoch milliseconds: `"CreatedDate": 1712693965000`, a number
 *   (https://developer.salesforce.com/docs/platform/pub-sub-api/guide/qs-publish.md; the shape
 *   issue 9 captured from a real relay).
 */
import { describe, expect, it } from 'vitest';
import { InvalidPayloadError } from '../../src/errors.js';
import { parsePaymentRequest } from '../../src/outbound/payment-request.js';
import { paymentRequestEvent } from './harness.js';

/** An Event Relay delivery as documented above, with a field we do not know (it must pass). */
const RELAYED = {
  version: '0',
  id: 'b2a6c1f0-5d1e-4a55-9f39-0c1c1d6f6e01',
  'detail-type': 'Stripe_Payment_Request__e',
  source: 'aws.partner/salesforce.com/00DRM000000Fxts2AC/0YLRM0000004Dfg4AE',
  account: '123456789012',
  time: '2024-04-09T20:19:26Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    payload: {
      CreatedDate: 1712693965000,
      CreatedById: '0055f000005mc66AAA',
      EventUuid: '9b1d4c7a-1c7e-4bb8-8d0e-6b0c0b6a9f11',
      Opportunity_Id__c: '0065f00000AbCdEAAZ',
      Mode__c: 'invoice',
      Days_Until_Due__c: 14,
      Requested_By__c: '0055f000005mc66AAA',
    },
    schemaId: '_4UL2FpT2h7jOSRb6dWmjw',
    replayId: '22937',
    id: '9b1d4c7a-1c7e-4bb8-8d0e-6b0c0b6a9f11',
    someFutureField: { anything: true },
  },
};

describe('parsePaymentRequest: the documented Event Relay envelope', () => {
  it('reads CreatedDate as epoch milliseconds and the org from source', () => {
    expect(parsePaymentRequest(RELAYED)).toEqual({
      eventId: 'sf:9b1d4c7a-1c7e-4bb8-8d0e-6b0c0b6a9f11',
      detailType: 'Stripe_Payment_Request__e',
      opportunityId: '0065f00000AbCdEAAZ',
      mode: 'invoice',
      daysUntilDue: 14,
      requestedAt: 1_712_693_965,
      sourceOrgId: '00DRM000000Fxts2AC',
      requestedBy: '0055f000005mc66AAA',
    });
  });

  it('accepts CreatedDate as an ISO 8601 string, as digits, or not at all (then the EventBridge time)', () => {
    const withDate = (CreatedDate: unknown) => parsePaymentRequest({ ...RELAYED, detail: { ...RELAYED.detail, payload: { ...RELAYED.detail.payload, CreatedDate } } });
    expect(withDate('2024-04-09T20:19:25.000Z').requestedAt).toBe(1_712_693_965);
    expect(withDate('2024-04-09T20:19:25.000+0000').requestedAt).toBe(1_712_693_965);
    expect(withDate('1712693965000').requestedAt).toBe(1_712_693_965);
    expect(withDate(null).requestedAt).toBe(Date.parse('2024-04-09T20:19:26Z') / 1000);
    // A format nobody documented is not a reason to drop a payment request.
    expect(withDate({ unexpected: true }).requestedAt).toBe(Date.parse('2024-04-09T20:19:26Z') / 1000);
  });

  it('takes the identity from EventUuid, then detail.id, then detail.replayId, then the EventBridge id', () => {
    const { EventUuid: _uuid, ...payload } = RELAYED.detail.payload;
    expect(parsePaymentRequest({ ...RELAYED, detail: { ...RELAYED.detail, payload } }).eventId).toBe(`sf:${RELAYED.detail.id}`);
    const { id: _id, ...noId } = RELAYED.detail;
    expect(parsePaymentRequest({ ...RELAYED, detail: { ...noId, payload } }).eventId).toBe('sf:replay:22937');
    expect(parsePaymentRequest({ ...RELAYED, detail: { ...noId, replayId: 22937, payload } }).eventId).toBe('sf:replay:22937');
    const { replayId: _replay, ...bare } = noId;
    expect(parsePaymentRequest({ ...RELAYED, detail: { ...bare, payload } }).eventId).toBe(`sf:${RELAYED.id}`);
  });

  it('keeps a Days_Until_Due__c that is not a number visible to the planner instead of rejecting the event', () => {
    const parsed = parsePaymentRequest({ ...RELAYED, detail: { ...RELAYED.detail, payload: { ...RELAYED.detail.payload, Days_Until_Due__c: 'soon' } } });
    expect(parsed.daysUntilDue).toBeNaN();
    expect(parsePaymentRequest({ ...RELAYED, detail: { ...RELAYED.detail, payload: { ...RELAYED.detail.payload, Days_Until_Due__c: '21' } } }).daysUntilDue).toBe(21);
  });

  it('knows no org when source is not a Salesforce partner event source', () => {
    expect(parsePaymentRequest({ ...RELAYED, source: 'my.custom.source' }).sourceOrgId).toBeUndefined();
  });

  it('treats a blank mode as unset', () => {
    const parsed = parsePaymentRequest(paymentRequestEvent('006Ab00000PlanT01A', { mode: '' }));
    expect(parsed.mode).toBeUndefined();
  });

  it('rejects, with the path and never the value, an event without an Opportunity id or of another type', () => {
    expect(() => parsePaymentRequest(paymentRequestEvent('001Ab00000NotAnOpp1'))).toThrow(InvalidPayloadError);
    expect(() => parsePaymentRequest(paymentRequestEvent('001Ab00000NotAnOpp1'))).toThrow(/detail\.payload\.Opportunity_Id__c/);
    expect(() => parsePaymentRequest(paymentRequestEvent('001Ab00000NotAnOpp1'))).not.toThrow(/001Ab00000NotAnOpp1/);
    expect(() => parsePaymentRequest({ ...paymentRequestEvent('006Ab00000PlanT01A'), 'detail-type': 'Other__e' })).toThrow(/Unexpected detail-type/);
  });
});
