/**
 * Why a payment failed, in words an account manager can act on: Stripe's decline codes
 * (https://docs.stripe.com/declines/codes) and the error codes a failed payment carries
 * (https://docs.stripe.com/error-codes), each with the plain reason and what to do next. Pure.
 *
 * Stripe puts the issuer's reason in `decline_code` when the error `code` is `card_declined`;
 * other failures (an expired card, a wrong CVC, a payment that needs the customer's
 * authentication) come as the `code` itself. An unknown code is shown as Stripe sent it.
 */

export interface DeclineReason {
  /** What happened, e.g. "Insufficient funds". */
  readonly reason: string;
  /** What the account manager can do about it. */
  readonly nextStep: string;
}

const NEW_CARD = 'ask the customer for another card (send an update_payment_method link)';
const CONTACT_BANK = 'ask the customer to contact their bank, or to pay with another card';

export const DECLINE_REASONS: Readonly<Record<string, DeclineReason>> = {
  insufficient_funds: { reason: 'Insufficient funds', nextStep: 'ask the customer to top up the account before the next retry, or to use another card' },
  expired_card: { reason: 'The card has expired', nextStep: NEW_CARD },
  card_declined: { reason: 'The card was declined by the bank', nextStep: CONTACT_BANK },
  generic_decline: { reason: 'The card was declined by the bank without a reason', nextStep: CONTACT_BANK },
  do_not_honor: { reason: 'The bank declined the payment ("do not honor")', nextStep: CONTACT_BANK },
  lost_card: { reason: 'The card was reported lost', nextStep: `${NEW_CARD}; do not retry this card` },
  stolen_card: { reason: 'The card was reported stolen', nextStep: `${NEW_CARD}; do not retry this card` },
  pickup_card: { reason: 'The bank asked to keep the card (it may be lost or stolen)', nextStep: `${NEW_CARD}; do not retry this card` },
  incorrect_cvc: { reason: "The card's security code (CVC) was wrong", nextStep: 'ask the customer to enter the card again (send an update_payment_method link)' },
  invalid_cvc: { reason: "The card's security code (CVC) was wrong", nextStep: 'ask the customer to enter the card again (send an update_payment_method link)' },
  incorrect_number: { reason: 'The card number was wrong', nextStep: NEW_CARD },
  invalid_expiry_year: { reason: "The card's expiry date was wrong", nextStep: NEW_CARD },
  processing_error: { reason: 'A processing error at the bank or card network', nextStep: 'nothing yet: Stripe retries; if it fails again, ask the customer to use another card' },
  authentication_required: { reason: 'The bank requires the customer to authenticate the payment (3-D Secure)', nextStep: 'send the customer the invoice link: they confirm the payment there' },
  card_velocity_exceeded: { reason: "The card's limit or number of payments was exceeded", nextStep: 'ask the customer to contact their bank, or wait for the next retry' },
  withdrawal_count_limit_exceeded: { reason: "The card's limit was exceeded", nextStep: 'ask the customer to contact their bank, or to use another card' },
  currency_not_supported: { reason: 'The card does not support this currency', nextStep: NEW_CARD },
  card_not_supported: { reason: 'The card does not support this kind of payment', nextStep: NEW_CARD },
  fraudulent: { reason: 'The bank suspects fraud', nextStep: 'contact the customer before anything else; do not retry this card' },
  transaction_not_allowed: { reason: 'The bank does not allow this payment on the card', nextStep: CONTACT_BANK },
  try_again_later: { reason: 'The bank declined for now', nextStep: 'nothing yet: Stripe retries automatically' },
  payment_intent_authentication_failure: { reason: 'The customer did not complete the authentication (3-D Secure)', nextStep: 'send the customer the invoice link to try again' },
};

const UNKNOWN: DeclineReason = { reason: 'The payment failed (Stripe gave no reason)', nextStep: 'check the payment in the Stripe Dashboard, then contact the customer' };

/** The issuer's `decline_code` first (it is the more precise), then the error `code`. */
export function declineReason(code: string | null | undefined, declineCode: string | null | undefined): DeclineReason {
  for (const candidate of [declineCode, code]) {
    if (candidate === null || candidate === undefined || candidate === '') continue;
    const known = DECLINE_REASONS[candidate];
    if (known !== undefined) return known;
  }
  const raw = declineCode || code;
  return raw ? { reason: `The payment failed (${raw})`, nextStep: UNKNOWN.nextStep } : UNKNOWN;
}
