/**
 * Why a webhook request was rejected, in the few causes an operator acts on differently. The
 * ingress logs it as `rejectionCause` on every rejected request; the stack counts the first three
 * and pages on them:
 * - `signature`: signed, but with a secret we do not hold (a rotated or mistyped `whsec_`);
 * - `tolerance`: signed with a timestamp outside the tolerance (a replay, or a clock far off);
 * - `size`: a body larger than WEBHOOK_MAX_BODY_BYTES;
 * - `malformed`: no or unreadable signature header, another method, not a Stripe event: what
 *   scanners send, counted on the dashboard but not paged.
 */
export type RejectionCause = 'signature' | 'tolerance' | 'size' | 'malformed';

/** The causes that page (the stack's WebhookRejected alarms, one per cause). */
export const PAGED_REJECTION_CAUSES = ['signature', 'tolerance', 'size'] as const satisfies readonly RejectionCause[];

export function rejectionCause(reason: string): RejectionCause {
  switch (reason) {
    case 'SIGNATURE_MISMATCH':
      return 'signature';
    case 'SIGNATURE_STALE':
      return 'tolerance';
    case 'BODY_TOO_LARGE':
      return 'size';
    default:
      return 'malformed';
  }
}
