/**
 * The local stack as the story, CLI, sample and page tests start it: embedded services, a free
 * port, logs captured, no page refresh, and the roll-up writer draining its queue as soon as a
 * roll-up arrives (LOCAL_ROLLUP_WINDOW_MS=0). With the default 200 ms window every Stripe event a
 * test delivers sat idle until the window closed, a few seconds of a file's wall time for nothing
 * those files check. The window itself is proven where it is the subject: the poller's batching
 * window in test/local/local-queue.test.ts, and the stack with no configuration at all (the
 * default window included) in test/local/stack.test.ts. Likewise stripe-node keeps its retries
 * of an injected Stripe outage but not its waits between them (as createStripeClient's tests do).
 */
import type { Env } from '../../src/config.js';
import { startLocalStack, type LocalStack } from '../../src/local/stack.js';
import { LogCapture } from './log-capture.js';

export function startTestStack(env: Env = {}): Promise<LocalStack> {
  return startLocalStack({
    env: { LOCAL_ROLLUP_WINDOW_MS: '0', ...env },
    port: 0,
    logDestination: new LogCapture(),
    refreshSeconds: 0,
    // stripe-node still retries a Stripe outage a test injects, without its 0.5 s+ waits between tries.
    stripeOptions: { initialNetworkRetryDelaySeconds: 0 },
  });
}
