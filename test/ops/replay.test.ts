import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { ATTR } from '../../src/ingress/inbound-message.js';
import {
  FakeSqs,
  INBOUND_ARGS,
  INBOUND_DLQ,
  INBOUND_QUEUE,
  NOW,
  OUTBOUND_ARGS,
  OUTBOUND_DLQ,
  OUTBOUND_QUEUE,
  cli,
  fakeClock,
  inboundMessage,
  outboundMessage,
  queueArn,
  queueUrl,
} from './support.js';

const DLQ = queueUrl(INBOUND_DLQ);
const QUEUE = queueUrl(INBOUND_QUEUE);
const failure = (minutesAgo: number) => ({ code: 'SF_FIELD_MISSING', reason: 'No such column Stripe_Id__c', failedAt: new Date(NOW - minutesAgo * 60_000) });

let clock: ReturnType<typeof fakeClock>;
let aws: FakeSqs;

beforeEach(() => {
  clock = fakeClock();
  aws = new FakeSqs(clock);
});
afterEach(() => aws.restore());

describe('dlq replay (inbound, selective)', () => {
  it('sends each matching message to the inbound queue before deleting it from the DLQ', async () => {
    aws.seed(DLQ, [
      inboundMessage({ eventId: 'evt_a', type: 'invoice.paid', failure: failure(5) }),
      inboundMessage({ eventId: 'evt_b', type: 'invoice.paid' }),
    ]);

    const run = await cli(['dlq', 'replay', '--type', 'invoice.paid', ...INBOUND_ARGS], aws);

    expect(run.code).toBe(0);
    expect(aws.sendsAndDeletes()).toEqual(['send evt_a', 'delete evt_a', 'send evt_b', 'delete evt_b']);
    expect(aws.ids(DLQ)).toEqual([]);
    expect(run.stdout.at(-1)).toContain('matched 2, replayed 2, failed 0, skipped 0');
  });

  it('sends the original body and attributes without the failure notes', async () => {
    const original = inboundMessage({ eventId: 'evt_a', type: 'invoice.paid', failure: failure(5) });
    aws.seed(DLQ, [original]);

    await cli(['dlq', 'replay', '--event-id', 'evt_a', ...INBOUND_ARGS], aws);

    const send = aws.log.find((c) => c.command === 'SendMessage');
    expect(send?.input.QueueUrl).toBe(QUEUE);
    expect(send?.input.MessageBody).toBe(original.Body);
    expect(Object.keys(send?.input.MessageAttributes).sort()).toEqual(
      [ATTR.eventId, ATTR.eventType, ATTR.eventCreated, ATTR.livemode, ATTR.apiVersion, ATTR.payload].sort(),
    );
    expect(send?.input.MessageAttributes[ATTR.eventCreated]).toEqual(original.MessageAttributes?.[ATTR.eventCreated]);
  });

  it('leaves a message whose send failed in the DLQ, visible again, and exits non-zero', async () => {
    aws.seed(DLQ, [
      inboundMessage({ eventId: 'evt_ok', type: 'invoice.paid' }),
      inboundMessage({ eventId: 'evt_fails', type: 'invoice.paid' }),
    ]);
    aws.sqs.on(SendMessageCommand, { MessageAttributes: { [ATTR.eventId]: { DataType: 'String', StringValue: 'evt_fails' } } }).callsFake(async (input) => {
      aws.log.push({ command: 'SendMessage', input, subject: 'evt_fails' });
      throw Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' });
    });

    const run = await cli(['dlq', 'replay', '--all', '--queue', 'inbound', '--rate', '5', '--type', 'x', ...INBOUND_ARGS], aws);
    expect(run.code).toBe(2); // --all cannot combine with --type: checked before anything is sent
    expect(aws.log).toEqual([]);

    const replay = await cli(['dlq', 'replay', '--type', 'invoice.paid', ...INBOUND_ARGS], aws);

    expect(replay.code).toBe(1);
    expect(aws.sendsAndDeletes()).toEqual(['send evt_ok', 'delete evt_ok', 'send evt_fails']);
    expect(aws.ids(DLQ)).toEqual(['msg-evt_fails']);
    expect(aws.visibleIds(DLQ)).toEqual(['msg-evt_fails']);
    expect(replay.stdout.join('\n')).toContain('send-failed   evt_fails  invoice.paid  ServiceUnavailable: Service unavailable');
    expect(replay.stdout.join('\n')).toContain('matched 2, replayed 1, failed 1, skipped 0');
  });

  it('--event-id picks exactly the named events and makes the others visible again', async () => {
    aws.seed(DLQ, ['evt_1', 'evt_2', 'evt_3', 'evt_4'].map((id) => inboundMessage({ eventId: id, type: 'charge.refunded' })));

    const run = await cli(['dlq', 'replay', '--event-id', 'evt_2', '--event-id', 'evt_4', ...INBOUND_ARGS], aws);

    expect(run.code).toBe(0);
    expect(aws.sendsAndDeletes()).toEqual(['send evt_2', 'delete evt_2', 'send evt_4', 'delete evt_4']);
    expect(aws.ids(DLQ)).toEqual(['msg-evt_1', 'msg-evt_3']);
    expect(aws.visibleIds(DLQ)).toEqual(['msg-evt_1', 'msg-evt_3']);
  });

  it('--type picks one type (or a family with .*) and skips the rest', async () => {
    aws.seed(DLQ, [
      inboundMessage({ eventId: 'evt_inv1', type: 'invoice.paid' }),
      inboundMessage({ eventId: 'evt_pi', type: 'payment_intent.succeeded' }),
      inboundMessage({ eventId: 'evt_inv2', type: 'invoice.payment_failed' }),
    ]);

    const exact = await cli(['dlq', 'replay', '--type', 'invoice.paid', '--json', ...INBOUND_ARGS], aws);
    expect(JSON.parse(exact.stdout.join('\n'))).toMatchObject({ matched: 1, replayed: 1, skipped: 2, failed: 0 });
    expect(aws.ids(DLQ)).toEqual(['msg-evt_pi', 'msg-evt_inv2']);

    await cli(['dlq', 'replay', '--type', 'invoice.*', ...INBOUND_ARGS], aws);
    expect(aws.ids(DLQ)).toEqual(['msg-evt_pi']);
    expect(aws.visibleIds(DLQ)).toEqual(['msg-evt_pi']);
  });

  it('--since picks messages that failed at or after the time (failed_at, else first enqueued)', async () => {
    aws.seed(DLQ, [
      inboundMessage({ eventId: 'evt_recent', type: 'invoice.paid', failure: failure(30) }),
      inboundMessage({ eventId: 'evt_old', type: 'invoice.paid', failure: failure(180) }),
      inboundMessage({ eventId: 'evt_redriven_recent', type: 'invoice.paid', sentAt: NOW - 10 * 60_000 }),
      inboundMessage({ eventId: 'evt_redriven_old', type: 'invoice.paid', sentAt: NOW - 5 * 3600_000 }),
    ]);

    const run = await cli(['dlq', 'replay', '--since', '1h', ...INBOUND_ARGS], aws);

    expect(run.code).toBe(0);
    expect(aws.sendsAndDeletes()).toEqual(['send evt_recent', 'delete evt_recent', 'send evt_redriven_recent', 'delete evt_redriven_recent']);
    expect(aws.visibleIds(DLQ)).toEqual(['msg-evt_old', 'msg-evt_redriven_old']);

    const absolute = await cli(['dlq', 'replay', '--since', new Date(NOW - 4 * 3600_000).toISOString(), '--json', ...INBOUND_ARGS], aws);
    expect(JSON.parse(absolute.stdout.join('\n'))).toMatchObject({ matched: 1, replayed: 1 });
    expect(aws.ids(DLQ)).toEqual(['msg-evt_redriven_old']);
  });

  it('filters combine: --type and --since must both match', async () => {
    aws.seed(DLQ, [
      inboundMessage({ eventId: 'evt_both', type: 'invoice.paid', failure: failure(10) }),
      inboundMessage({ eventId: 'evt_type_only', type: 'invoice.paid', failure: failure(600) }),
      inboundMessage({ eventId: 'evt_time_only', type: 'charge.refunded', failure: failure(10) }),
    ]);

    await cli(['dlq', 'replay', '--type', 'invoice.paid', '--since', '2h', ...INBOUND_ARGS], aws);

    expect(aws.sendsAndDeletes()).toEqual(['send evt_both', 'delete evt_both']);
  });

  it('--dry-run lists the matches and neither sends nor deletes', async () => {
    aws.seed(DLQ, [
      inboundMessage({ eventId: 'evt_a', type: 'invoice.paid' }),
      inboundMessage({ eventId: 'evt_b', type: 'charge.refunded' }),
    ]);

    const run = await cli(['dlq', 'replay', '--type', 'invoice.paid', '--dry-run', ...INBOUND_ARGS], aws);

    expect(run.code).toBe(0);
    expect(aws.commands()).not.toContain('SendMessage');
    expect(aws.commands()).not.toContain('DeleteMessage');
    expect(aws.visibleIds(DLQ)).toEqual(['msg-evt_a', 'msg-evt_b']);
    expect(run.stdout.join('\n')).toContain('would-replay  evt_a  invoice.paid');
    expect(run.stdout.at(-1)).toContain('dry run, nothing changed: matched 1, replayed 0, failed 0, skipped 1');
  });

  it('never prints message bodies', async () => {
    aws.seed(DLQ, [inboundMessage({ eventId: 'evt_a', type: 'invoice.paid' })]);
    const run = await cli(['dlq', 'replay', '--all', '--queue', 'outbound', '--dry-run', ...OUTBOUND_ARGS], aws);
    const peek = await cli(['dlq', 'peek', ...INBOUND_ARGS], aws);
    const output = [...run.stdout, ...run.stderr, ...peek.stdout, ...peek.stderr].join('\n');
    expect(peek.stdout.join('\n')).toContain('evt_a');
    expect(output).not.toContain('person@example.com');
    expect(output).not.toContain('pi_test_fake_1');
  });

  it('--rate spaces the sends out', async () => {
    aws.seed(DLQ, ['evt_1', 'evt_2', 'evt_3'].map((id) => inboundMessage({ eventId: id, type: 'invoice.paid' })));

    await cli(['dlq', 'replay', '--type', 'invoice.paid', '--rate', '2', ...INBOUND_ARGS], aws);

    expect(clock.slept).toEqual([500, 500]);
    expect(aws.ids(DLQ)).toEqual([]);
  });

  it('prints progress lines on long runs and a summary at the end', async () => {
    aws.seed(DLQ, Array.from({ length: 120 }, (_, i) => inboundMessage({ eventId: `evt_${i}`, type: i % 2 === 0 ? 'invoice.paid' : 'charge.refunded' })));

    const run = await cli(['dlq', 'replay', '--type', 'invoice.paid', ...INBOUND_ARGS], aws);

    expect(run.stderr).toEqual([
      '… received 50: matched 25, replayed 25, failed 0, skipped 25',
      '… received 100: matched 50, replayed 50, failed 0, skipped 50',
    ]);
    expect(run.stdout.at(-1)).toContain('matched 60, replayed 60, failed 0, skipped 60');
    expect(aws.visibleIds(DLQ)).toHaveLength(60);
  });
});

describe('dlq replay --all (inbound whole-queue redrive)', () => {
  it('starts a message move task from the DLQ ARN to the inbound queue ARN and follows it to the end', async () => {
    aws.seed(DLQ, ['evt_1', 'evt_2', 'evt_3'].map((id) => inboundMessage({ eventId: id, type: 'invoice.paid' })));

    const run = await cli(['dlq', 'replay', '--all', '--rate', '50', ...INBOUND_ARGS], aws);

    expect(run.code).toBe(0);
    const start = aws.log.find((c) => c.command === 'StartMessageMoveTask');
    expect(start?.input).toEqual({ SourceArn: queueArn(INBOUND_DLQ), DestinationArn: queueArn(INBOUND_QUEUE), MaxNumberOfMessagesPerSecond: 50 });
    expect(aws.commands().filter((c) => c === 'ListMessageMoveTasks')).toHaveLength(2);
    expect(aws.commands()).not.toContain('ReceiveMessage');
    expect(run.stderr).toEqual(['… RUNNING: moved 1 of 3']);
    expect(run.stdout).toEqual([`move task COMPLETED: moved 3 of 3 message(s) to ${queueArn(INBOUND_QUEUE)}`]);
  });

  it('exits non-zero with the reason when the move task fails', async () => {
    aws.moveTaskStatuses = ['FAILED'];
    const run = await cli(['dlq', 'replay', '--all', ...INBOUND_ARGS], aws);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('failure reason: AccessDenied');
  });

  it('--dry-run starts nothing', async () => {
    aws.seed(DLQ, [inboundMessage({ eventId: 'evt_1', type: 'invoice.paid' })]);
    const run = await cli(['dlq', 'replay', '--all', '--dry-run', ...INBOUND_ARGS], aws);
    expect(run.code).toBe(0);
    expect(aws.commands()).not.toContain('StartMessageMoveTask');
    expect(run.stdout[0]).toContain('would move ~1 message(s)');
  });

  it('rejects a rate above what a move task allows', async () => {
    const run = await cli(['dlq', 'replay', '--all', '--rate', '501', ...INBOUND_ARGS], aws);
    expect(run.code).toBe(2);
    expect(run.stderr[0]).toContain('--rate 501');
  });
});

describe('dlq replay --queue outbound', () => {
  const OUT_DLQ = queueUrl(OUTBOUND_DLQ);
  const OUT_QUEUE = queueUrl(OUTBOUND_QUEUE);

  it('sends the EventBridge event back to the outbound queue without the failure attributes, then deletes it from the DLQ', async () => {
    const message = outboundMessage({ eventId: 'eb-1', opportunityId: '006xx000001AAAA', source: 'function' });
    aws.seed(OUT_DLQ, [message, outboundMessage({ eventId: 'eb-2', opportunityId: '006xx000001BBBB', source: 'rule' })]);

    const run = await cli(['dlq', 'replay', '--event-id', 'eb-1', ...OUTBOUND_ARGS], aws);

    expect(run.code).toBe(0);
    const send = aws.log.find((c) => c.command === 'SendMessage');
    expect(send?.input).toEqual({ QueueUrl: OUT_QUEUE, MessageBody: message.Body, MessageAttributes: {} });
    const order = aws.commands().filter((c) => c === 'SendMessage' || c === 'DeleteMessage');
    expect(order).toEqual(['SendMessage', 'DeleteMessage']);
    expect(aws.ids(OUT_DLQ)).toEqual(['msg-eb-2']);
    expect(aws.ids(OUT_QUEUE)).toHaveLength(1);
  });

  it('drops EventBridge\'s error attributes too, so the outbound function sees the event as the rule sent it', async () => {
    aws.seed(OUT_DLQ, [outboundMessage({ eventId: 'eb-1', opportunityId: '006xx000001AAAA', source: 'rule' })]);
    const run = await cli(['dlq', 'replay', '--event-id', 'eb-1', ...OUTBOUND_ARGS], aws);
    expect(run.code).toBe(0);
    expect(aws.log.find((c) => c.command === 'SendMessage')?.input.MessageAttributes).toEqual({});
  });

  it('--all moves the whole outbound DLQ back to the outbound queue with a message move task', async () => {
    aws.seed(OUT_DLQ, [outboundMessage({ eventId: 'eb-1', opportunityId: '006xx000001AAAA', source: 'function' })]);
    const run = await cli(['dlq', 'replay', '--all', ...OUTBOUND_ARGS], aws);
    expect(run.code).toBe(0);
    expect(aws.log.find((c) => c.command === 'StartMessageMoveTask')?.input).toMatchObject({ SourceArn: queueArn(OUTBOUND_DLQ), DestinationArn: queueArn(OUTBOUND_QUEUE) });
  });
});
