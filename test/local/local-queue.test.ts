/**
 * The local queue's SQS semantics, with a clock the test moves: batches, visibility timeout,
 * receive counts, redrive to the dead-letter list after maxReceiveCount, partial-batch failures.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { LocalQueue } from '../../src/local/local-queue.js';
import { startPoller } from '../../src/local/poller.js';
import { LogCapture } from '../support/log-capture.js';

function clockedQueue(options: { batchSize?: number; visibilityTimeoutMs?: number; maxReceiveCount?: number } = {}) {
  const clock = { ms: 1_793_491_200_000 };
  const dlq = new LocalQueue({ now: () => clock.ms });
  const queue = new LocalQueue({ visibilityTimeoutMs: 30_000, ...options, deadLetterQueue: dlq, now: () => clock.ms });
  return { queue, dlq, clock };
}

describe('LocalQueue', () => {
  it('accepts the SendMessageCommand the ingress sends and delivers its attributes as Lambda does', async () => {
    const { queue } = clockedQueue();
    let wakeups = 0;
    queue.onMessage(() => {
      wakeups += 1;
    });
    const out = await queue.send(
      new SendMessageCommand({
        QueueUrl: 'http://127.0.0.1/local/inbound-queue',
        MessageBody: '{"id":"evt_1"}',
        MessageAttributes: { stripe_event_id: { DataType: 'String', StringValue: 'evt_1' } },
      }),
    );
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(wakeups).toBe(1);
    const [message] = queue.receive();
    expect(message).toMatchObject({
      messageId: out.MessageId,
      body: '{"id":"evt_1"}',
      receiveCount: 1,
      messageAttributes: { stripe_event_id: { stringValue: 'evt_1', dataType: 'String' } },
    });
  });

  it('hands out at most batchSize messages, oldest first', () => {
    const { queue } = clockedQueue({ batchSize: 3 });
    const ids = ['a', 'b', 'c', 'd', 'e'].map((body) => queue.enqueue(body));
    expect(queue.receive().map((m) => m.messageId)).toEqual(ids.slice(0, 3));
    expect(queue.receive().map((m) => m.messageId)).toEqual(ids.slice(3));
    expect(queue.receive()).toEqual([]);
    expect(queue.receive(1)).toEqual([]);
  });

  it('hides a received message until its visibility timeout ends, then redelivers it with a new handle', () => {
    const { queue, clock } = clockedQueue();
    queue.enqueue('payload');
    const [first] = queue.receive();
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 1 });
    clock.ms += 29_999;
    expect(queue.receive()).toEqual([]);
    expect(queue.nextVisibleAt()).toBe(clock.ms + 1);
    clock.ms += 1;
    const [second] = queue.receive();
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.receiveCount).toBe(2);
    // The first receipt handle is stale now: deleting with it deletes nothing, as in SQS.
    expect(queue.delete(first?.receiptHandle as string)).toBe(false);
    expect(queue.delete(second?.receiptHandle as string)).toBe(true);
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('moves a message received maxReceiveCount times to its dead-letter queue on the next receive, as a redrive policy does', () => {
    const { queue, dlq, clock } = clockedQueue({ maxReceiveCount: 5 });
    const id = queue.enqueue('never succeeds', { stripe_event_id: { DataType: 'String', StringValue: 'evt_poison' } });
    for (let receive = 1; receive <= 5; receive++) {
      const batch = queue.receive();
      expect(batch.map((m) => m.receiveCount)).toEqual([receive]);
      queue.settle(batch, [id]);
      clock.ms += 30_000;
    }
    expect(queue.receive()).toEqual([]);
    // SQS keeps the message id, body, attributes and first enqueue time when it redrives.
    expect(dlq.peek()).toEqual([
      expect.objectContaining({
        messageId: id,
        body: 'never succeeds',
        receiveCount: 0,
        sentAt: 1_793_491_200_000,
        messageAttributes: { stripe_event_id: { DataType: 'String', StringValue: 'evt_poison' } },
      }),
    ]);
    expect(queue.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('settles a batch like a partial-batch response: only the failed messages come back', () => {
    const { queue, clock } = clockedQueue();
    const [a, b, c] = ['a', 'b', 'c'].map((body) => queue.enqueue(body));
    const batch = queue.receive();
    expect(queue.settle(batch, [b as string])).toEqual({ deleted: 2, failed: 1 });
    clock.ms += 30_000;
    const again = queue.receive();
    expect(again.map((m) => [m.messageId, m.receiveCount])).toEqual([[b, 2]]);
    expect(again.map((m) => m.messageId)).not.toContain(a);
    expect(again.map((m) => m.messageId)).not.toContain(c);
  });

  it("changes a message's visibility only under its latest receipt handle, as ChangeMessageVisibility does", () => {
    const { queue, clock } = clockedQueue();
    queue.enqueue('payload');
    const [first] = queue.receive();
    expect(queue.changeVisibility(first!.receiptHandle, 120)).toBe('changed');
    clock.ms += 60_000;
    expect(queue.receive()).toEqual([]);
    expect(queue.changeVisibility(first!.receiptHandle, 0)).toBe('changed');
    const [second] = queue.receive();
    expect(second?.receiveCount).toBe(2);
    expect(queue.changeVisibility(first!.receiptHandle, 0)).toBe('not_in_flight');
    expect(queue.changeVisibility('not-a-handle', 0)).toBe('invalid');
  });

  it('purges every message and moves visible ones to another queue (a message move task)', () => {
    const { queue, dlq } = clockedQueue();
    dlq.enqueue('a', { stripe_event_id: { DataType: 'String', StringValue: 'evt_a' } });
    dlq.enqueue('b');
    const [held] = dlq.receive(1);
    expect(dlq.moveVisibleTo(queue)).toBe(1);
    expect(queue.peek()).toEqual([expect.objectContaining({ body: 'b', receiveCount: 0 })]);
    expect(dlq.peek().map((m) => m.messageId)).toEqual([held!.messageId]);
    expect(dlq.purge()).toBe(1);
    expect(dlq.stats()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('rejects a batch size that is not a positive integer', () => {
    expect(() => new LocalQueue({ batchSize: 0 })).toThrow(RangeError);
  });
});

describe('startPoller', () => {
  it("runs up to `concurrency` batches at once, as Lambda's maxConcurrency does", async () => {
    const { queue } = clockedQueue({ batchSize: 1 });
    let running = 0;
    let most = 0;
    const started: Array<() => void> = [];
    const poller = startPoller(
      queue,
      async () => {
        running += 1;
        most = Math.max(most, running);
        // Each batch waits until three have started: only concurrent batches get past this.
        await new Promise<void>((resolve) => {
          started.push(resolve);
          if (started.length === 3) for (const go of started.splice(0)) go();
        });
        running -= 1;
        return [];
      },
      { logger: createLogger({ service: 'test', destination: new LogCapture() }), concurrency: 3 },
    );
    try {
      for (const body of ['a', 'b', 'c', 'd', 'e', 'f']) queue.enqueue(body);
      await poller.idle();
      expect(most).toBe(3);
      expect(queue.stats()).toEqual({ visible: 0, inFlight: 0 });
    } finally {
      await poller.stop();
    }
  });

  it('delivers promptly after a send, settles with the failures and reports idle', async () => {
    const { queue } = clockedQueue({ batchSize: 2 });
    const seen: string[][] = [];
    const poller = startPoller(
      queue,
      async (batch) => {
        seen.push(batch.map((m) => m.body));
        return batch.filter((m) => m.body === 'fails').map((m) => m.messageId);
      },
      { logger: createLogger({ service: 'test', destination: new LogCapture() }) },
    );
    try {
      for (const body of ['ok-1', 'fails', 'ok-2']) queue.enqueue(body);
      await poller.idle();
      expect(seen).toEqual([['ok-1', 'fails'], ['ok-2']]);
      // The failed one waits out its visibility timeout; the others are deleted.
      expect(queue.stats()).toEqual({ visible: 0, inFlight: 1 });
    } finally {
      await poller.stop();
    }
  });

  it('with a batching window, gathers what arrives during the window into one batch, as the event source does', async () => {
    // The window runs on (fake) timers: no real waiting, nothing depends on the machine's speed.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { queue } = clockedQueue({ batchSize: 10 });
    const seen: string[][] = [];
    const poller = startPoller(
      queue,
      async (batch) => {
        seen.push(batch.map((m) => m.body));
        return [];
      },
      { logger: createLogger({ service: 'test', destination: new LogCapture() }), batchingWindowMs: 200 },
    );
    try {
      // The poller's first look at the queue, at start.
      await vi.advanceTimersByTimeAsync(0);
      queue.enqueue('first');
      await vi.advanceTimersByTimeAsync(150);
      // Without a window the first message would be gone by now.
      expect(seen).toEqual([]);
      queue.enqueue('second');
      queue.enqueue('third');
      await vi.advanceTimersByTimeAsync(60);
      await poller.idle();
      expect(seen).toEqual([['first', 'second', 'third']]);
    } finally {
      try {
        await poller.stop();
      } finally {
        // Real timers again whatever happens: later files of this worker share the clock.
        vi.useRealTimers();
      }
    }
  });

  it('returns the whole batch to the queue when the handler throws, as a failed Lambda invocation does', async () => {
    const { queue } = clockedQueue();
    const logs = new LogCapture();
    const poller = startPoller(
      queue,
      async () => {
        throw new Error('boom');
      },
      { logger: createLogger({ service: 'test', destination: logs }) },
    );
    try {
      queue.enqueue('x');
      queue.enqueue('y');
      await poller.idle();
      expect(queue.stats()).toEqual({ visible: 0, inFlight: 2 });
      expect(logs.lines.some((l) => l['message'] === 'consumer batch failed')).toBe(true);
    } finally {
      await poller.stop();
    }
  });
});
