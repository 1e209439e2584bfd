/**
 * The consumer's Stripe mode, from its Stripe API key (src/stripe/event-scope.ts), read once per
 * execution environment. In AWS the key is a Secrets Manager secret: it is fetched before the first
 * batch, not per event.
 *
 * - A test or live key: events of the other mode are skipped.
 * - No key configured (neither STRIPE_SECRET_KEY nor STRIPE_SECRET_KEY_ARN), or a key of another
 *   form: the mode is unknown and events of both modes are applied, with one warning per cold start.
 * - The key cannot be read (Secrets Manager unavailable, the secret still empty): events are
 *   retried, never applied unchecked; the next batch tries again.
 */
import { errorCode, TransientError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { CachedSecret } from '../secrets.js';
import { stripeKeyMode, type StripeMode } from '../stripe/event-scope.js';

type State = { readonly kind: 'known'; readonly mode: StripeMode | undefined } | { readonly kind: 'failed'; readonly error: unknown };

export class DeploymentMode {
  private state: State | undefined;

  constructor(
    private readonly key: CachedSecret | undefined,
    private readonly logger: Logger,
  ) {}

  /** Reads the key unless the mode is already known. Never throws. */
  async resolve(): Promise<void> {
    if (this.state?.kind === 'known') return;
    if (this.key === undefined) {
      this.logger.warn('no Stripe API key configured: the consumer cannot tell test from live events and applies both');
      this.state = { kind: 'known', mode: undefined };
      return;
    }
    try {
      const mode = stripeKeyMode(await this.key.get());
      if (mode === undefined) {
        this.logger.warn('the Stripe API key is neither a test nor a live key (sk_/rk_ test_/live_): events of both modes are applied');
      } else {
        this.logger.info({ stripeMode: mode }, `consumer runs in Stripe ${mode} mode: events of the other mode are skipped`);
      }
      this.state = { kind: 'known', mode };
    } catch (err) {
      this.logger.warn({ errorCode: errorCode(err) }, 'could not read the Stripe API key to tell the mode; events wait');
      this.state = { kind: 'failed', error: err };
    }
  }

  /** The mode for this batch; throws a TransientError (the event is retried) when the key could not be read. */
  current(): StripeMode | undefined {
    if (this.state?.kind === 'known') return this.state.mode;
    throw new TransientError("The Stripe API key could not be read to check the event's mode", {
      code: 'STRIPE_MODE_UNKNOWN',
      cause: this.state?.kind === 'failed' ? this.state.error : undefined,
    });
  }
}
