/**
 * Plays the Lambda event source mapping for the local queue: receives batches, hands them to the
 * consumer and settles them with its partial-batch response. It does not poll on a timer: a send
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

export function startPoller(queue: LocalQueue, handle: BatchHandler, options: { readonly logger: Logger; readonly now?: () => number }): QueuePoller {
  const now = options.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let timerAt = Number.POSITIVE_INFINITY;
  let running: Promise<void> | undefined;
  let stopped = false;
  const waiters: Array<() => void> = [];

  const isIdle = (): boolean => stopped || (running === undefined && queue.stats().visible === 0);
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

  const pump = (): void => {
    if (stopped || running !== undefined) return;
    running = (async () => {
      for (let batch = queue.receive(); batch.length > 0 && !stopped; batch = stopped ? [] : queue.receive()) {
        await deliver(batch);
      }
    })().finally(() => {
      running = undefined;
      if (!stopped) {
        const next = queue.nextVisibleAt();
        if (next !== undefined) wakeAt(next);
      }
      notifyIfIdle();
    });
  };

  const unsubscribe = queue.onMessage(() => wakeAt(now()));
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
      await running;
      notifyIfIdle();
    },
  };
}
