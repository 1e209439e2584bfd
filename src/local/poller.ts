/**
 * Plays the Lambda event source mapping for the local queue: receives batches, hands up to
 * `concurrency` of them to the consumer at once (Lambda's maxConcurrency) and settles each with
 * its partial-batch response. It does not poll on a timer: a send
 * wakes it at once, and when failed messages wait out their visibility timeout a single unref'd
 * timer wakes it when the first becomes visible again.
 */
import { errorCode, errorReason } from '../errors.js';
import type { Logger } from '../logging.js';
import type { LocalQueue, ReceivedMessage } from './local-queue.js';

export interface BatchHandler {
  /** Returns the ids of the messages to retry (the `batchItemFailures`). */
  (batch: readonly ReceivedMessage[]): Promise<readonly string[]>;
}

export interface QueuePoller {
  /**
   * Resolves once no batch is being processed and no message is visible: everything sent so far
   * was handled (messages waiting out a visibility timeout do not count).
   */
  idle(): Promise<void>;
  /** Stops receiving, waits for the batch in progress, cancels the timer. */
  stop(): Promise<void>;
}

export interface PollerOptions {
  readonly logger: Logger;
  readonly now?: () => number;
  /** Batches handled at once, as Lambda's maxConcurrency (default 1). */
  readonly concurrency?: number;
  /**
   * As the event source's maxBatchingWindow: a send wakes the poller this long after the first
   * message that arrived while it waited (default 0: at once), unless a full batch is waiting.
   */
  readonly batchingWindowMs?: number;
}

export function startPoller(queue: LocalQueue, handle: BatchHandler, options: PollerOptions): QueuePoller {
  const now = options.now ?? Date.now;
  const concurrency = Math.max(1, options.concurrency ?? 1);
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  const running = new Set<Promise<void>>();
  let stopped = false;
  const waiters: Array<() => void> = [];

  const isIdle = (): boolean => stopped || (running.size === 0 && queue.stats().visible === 0);
  const notifyIfIdle = (): void => {
    if (!isIdle()) return;
    for (const resolve of waiters.splice(0)) resolve();
  };

  const wakeAt = (at: number): void => {
    if (stopped || at >= timerAt) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(() => {
      timer = undefined;
      timerAt = Number.POSITIVE_INFINITY;
      pump();
    }, Math.max(0, at - now()));
    // The HTTP server keeps a running stack alive; a pending retry alone must not.
    timer.unref();
  };

  const deliver = async (batch: readonly ReceivedMessage[]): Promise<void> => {
    let failed: readonly string[];
    try {
      failed = await handle(batch);
    } catch (err) {
      // As when a Lambda invocation fails: the whole batch comes back after the visibility timeout.
      options.logger.error({ code: errorCode(err), reason: errorReason(err), messages: batch.length }, 'consumer batch failed');
      failed = batch.map((m) => m.messageId);
    }
    queue.settle(batch, failed);
  };

  /**
   * Starts batches until `concurrency` run at once or nothing is visible; each finished batch
   * pumps again. Like the event source mapping, a batch does not wait for a full batch size.
   */
  const pump = (): void => {
    while (!stopped && running.size < concurrency) {
      const batch = queue.receive();
      if (batch.length === 0) break;
      const run: Promise<void> = deliver(batch).finally(() => {
        running.delete(run);
        pump();
        if (!stopped && running.size === 0) {
          const next = queue.nextVisibleAt();
          if (next !== undefined) wakeAt(next);
        }
        notifyIfIdle();
      });
      running.add(run);
    }
  };

  const windowMs = Math.max(0, options.batchingWindowMs ?? 0);
  const unsubscribe = queue.onMessage(() => wakeAt(queue.stats().visible >= queue.batchSize ? now() : now() + windowMs));
  wakeAt(now());

  return {
    idle() {
      return new Promise<void>((resolve) => {
        waiters.push(resolve);
        notifyIfIdle();
      });
    },
    async stop() {
      stopped = true;
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      await Promise.allSettled([...running]);
      notifyIfIdle();
    },
  };
}
