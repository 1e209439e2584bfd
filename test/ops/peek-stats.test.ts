import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NO_REASON_INBOUND } from '../../src/ops/dlq-message.js';
import {
  FakeSqs,
  INBOUND_ARGS,
  INBOUND_DLQ,
  NOW,
  OUTBOUND_ARGS,
  OUTBOUND_DLQ,
  cli,
  fakeClock,
  inboundMessage,
  outboundMessage,
  queueUrl,
} from './support.js';

const DLQ = queueUrl(INBOUND_DLQ);
const OUT_DLQ = queueUrl(OUTBOUND_DLQ);
const failure = (code: string, reason: string, minutesAgo: number) => ({ code, reason, failedAt: new Date(NOW - minutesAgo * 60_000) });

let clock: ReturnType<typeof fakeClock>;
let aws: FakeSqs;

beforeEach(() => {
  clock = fakeClock();
  aws = new FakeSqs(clock);
});
afterEach(() => aws.restore());

describe('dlq peek', () => {
  it('lists id, type, age, receive count and last error, then makes every message visible again', async () => {
    aws.seed(DLQ, [
      inboundMessage({ eventId: 'evt_a', type: 'invoice.paid', failure: failure('SF_VALIDATION', 'Amount must be positive', 90) }),
      inboundMessage({ eventId: 'evt_b', type: 'charge.refunded', sentAt: NOW - 3 * 86_400_000 }),
    ]);

    const run = await cli(['dlq', 'peek', ...INBOUND_ARGS], aws);

    expect(run.code).toBe(0);
    expect(run.stdout[0]).toMatch(/^EVENT ID\s+TYPE\s+FAILED\s+RECEIVES\s+LAST ERROR$/);
    expect(run.stdout[1]).toMatch(/^evt_a\s+invoice\.paid\s+1h 30m ago\s+5\s+SF_VALIDATION: Amount must be positive$/);
    expect(run.stdout[2]).toMatch(new RegExp(`^evt_b\\s+charge\\.refunded\\s+3d 0h ago\\s+1\\s+${NO_REASON_INBOUND}$`));
    expect(aws.commands()).not.toContain('DeleteMessage');
    const release = aws.log.filter((c) => c.command === 'ChangeMessageVisibilityBatch');
    expect(release.flatMap((c) => c.input.Entries.map((e: any) => e.VisibilityTimeout))).toEqual([0, 0]);
    expect(aws.visibleIds(DLQ)).toEqual(['msg-evt_a', 'msg-evt_b']);
  });

  it('--type and --limit narrow the list; the sample still goes back', async () => {
    aws.seed(DLQ, [
      ...['evt_1', 'evt_2', 'evt_3'].map((id) => inboundMessage({ eventId: id, type: 'invoice.paid' })),
      inboundMessage({ eventId: 'evt_x', type: 'customer.updated' }),
    ]);

    const run = await cli(['dlq', 'peek', '--type', 'invoice.paid', '--limit', '2', '--json', ...INBOUND_ARGS], aws);

    const result = JSON.parse(run.stdout.join('\n'));
    expect(result.entries.map((e: any) => e.eventId)).toEqual(['evt_1', 'evt_2']);
    expect(JSON.stringify(result)).not.toContain('receipt_email');
    expect(aws.visibleIds(DLQ)).toHaveLength(4);
    expect(aws.commands()).not.toContain('DeleteMessage');
  });

  it('shows the EventBridge event id, detail-type, Opportunity and error on the outbound DLQ, whoever dead-lettered it', async () => {
    aws.seed(OUT_DLQ, [
      outboundMessage({ eventId: 'eb-0', opportunityId: '006xx000001CCCC', source: 'function' }),
      outboundMessage({ eventId: 'eb-1', opportunityId: '006xx000001AAAA', source: 'rule' }),
      outboundMessage({ eventId: 'eb-2', opportunityId: '006xx000001BBBB', source: 'async' }),
    ]);

    const run = await cli(['dlq', 'peek', ...OUTBOUND_ARGS], aws);

    expect(run.stdout[0]).toMatch(/^EVENT ID\s+TYPE\s+OPPORTUNITY\s+FAILED/);
    expect(run.stdout[1]).toMatch(/^eb-0\s+Stripe_Payment_Request__e\s+006xx000001CCCC\s+5m ago\s+3\s+OPPORTUNITY_NOT_FOUND: Opportunity does not exist$/);
    expect(run.stdout[2]).toMatch(/^eb-1\s+Stripe_Payment_Request__e\s+006xx000001AAAA\s+10m ago\s+1\s+SDK_CLIENT_ERROR: Queue unavailable$/);
    expect(run.stdout[3]).toMatch(/^eb-2\s+Stripe_Payment_Request__e\s+006xx000001BBBB\s+10m ago\s+1\s+200: Opportunity has no Account$/);
    expect(aws.visibleIds(OUT_DLQ)).toEqual(['msg-eb-0', 'msg-eb-1', 'msg-eb-2']);
  });
});

describe('dlq stats', () => {
  it('reports depth, the sampled oldest age and counts by type and failure', async () => {
    aws.seed(DLQ, [
      inboundMessage({ eventId: 'evt_1', type: 'invoice.paid', failure: failure('SF_FIELD_MISSING', 'No such column', 20) }),
      inboundMessage({ eventId: 'evt_2', type: 'invoice.paid', failure: failure('SF_FIELD_MISSING', 'No such column', 10) }),
      inboundMessage({ eventId: 'evt_3', type: 'payment_intent.succeeded', failure: failure('SF_VALIDATION', 'Rule failed', 5) }),
      inboundMessage({ eventId: 'evt_4', type: 'invoice.paid', sentAt: NOW - 26 * 3600_000 }),
    ]);

    const run = await cli(['dlq', 'stats', '--queue', 'inbound', '--json', ...INBOUND_ARGS], aws);

    expect(run.code).toBe(0);
    const [stats] = JSON.parse(run.stdout.join('\n'));
    expect(stats).toEqual({
      queue: 'inbound',
      visible: 4,
      inFlight: 0,
      delayed: 0,
      depth: 4,
      sampled: 4,
      oldestSampledAgeSeconds: 26 * 3600,
      byType: { 'invoice.paid': 3, 'payment_intent.succeeded': 1 },
      byReason: { SF_FIELD_MISSING: 2, SF_VALIDATION: 1, [NO_REASON_INBOUND]: 1 },
    });
    expect(aws.visibleIds(DLQ)).toHaveLength(4);
    expect(aws.commands()).not.toContain('DeleteMessage');
  });

  it('says how many messages it sampled and that the oldest age comes from the sample', async () => {
    aws.seed(DLQ, Array.from({ length: 15 }, (_, i) => inboundMessage({ eventId: `evt_${i}`, type: 'invoice.paid' })));

    const run = await cli(['dlq', 'stats', '--sample', '10', ...INBOUND_ARGS], aws);

    expect(run.stdout[0]).toBe('inbound DLQ: 15 message(s) (visible 15, in flight 0)');
    expect(run.stdout[1]).toContain('sampled 10 message(s) without consuming them');
    expect(run.stdout[2]).toContain('oldest sampled message: 2h 0m');
    expect(run.stdout[2]).toContain('SQS has no oldest-age queue attribute');
    expect(run.stdout).toContain('       10  invoice.paid');
    expect(aws.visibleIds(DLQ)).toHaveLength(15);
  });

  it('does not receive from an empty DLQ', async () => {
    const run = await cli(['dlq', 'stats', ...INBOUND_ARGS], aws);
    expect(run.stdout).toEqual(['inbound DLQ: 0 message(s) (visible 0, in flight 0)']);
    expect(aws.commands()).toEqual(['GetQueueAttributes']);
  });
});
