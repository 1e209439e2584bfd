/**
 * Which Stripe events are this deployment's own. Pure: the caller supplies the mode its key says.
 *
 * - Mode: a deployment runs in the mode of its Stripe API key (`sk_test_…`/`rk_test_…` test,
 *   `sk_live_…`/`rk_live_…` live; "API keys", docs.stripe.com/keys). An event whose `livemode`
 *   differs belongs to the other mode of the account (e.g. a test endpoint pointed at a production
 *   deployment) and is skipped, never written.
 * - Connect: events of a platform's connected accounts carry `account` ("The connected account
 *   that originates the event", Event object, docs.stripe.com/api/events/object). They are another
 *   business's payments, not this one's, and are skipped the same way.
 */
export type StripeMode = 'test' | 'live';

/** The mode a Stripe API key works in, from its prefix; undefined for anything else. */
export function stripeKeyMode(key: string): StripeMode | undefined {
  const match = /^(?:sk|rk)_(test|live)_/.exec(key.trim());
  return match === null ? undefined : (match[1] as StripeMode);
}

/**
 * Why the event is not this deployment's, or undefined when it is. `mode` undefined: the
 * deployment has no Stripe key to tell its mode by, and events of both modes are applied.
 */
export function outOfScope(
  envelope: { readonly livemode: boolean; readonly account?: string | undefined },
  mode: StripeMode | undefined,
): string | undefined {
  if (envelope.account !== undefined && envelope.account !== '') {
    return 'Connect event of a connected account (event.account set); not this account\'s own';
  }
  if (mode !== undefined && envelope.livemode !== (mode === 'live')) {
    return `${envelope.livemode ? 'live-mode' : 'test-mode'} event in a ${mode}-mode deployment (mode of STRIPE_SECRET_KEY)`;
  }
  return undefined;
}
