/**
 * Stripe's decline and error codes in plain words (src/mappers/decline-reasons.ts). Codes as
 * Stripe documents them: https://docs.stripe.com/declines/codes (decline_code) and
 * https://docs.stripe.com/error-codes (code: card_declined, expired_card, incorrect_cvc,
 * processing_error, authentication_required).
 */
import { describe, expect, it } from 'vitest';
import { DECLINE_REASONS, declineReason } from '../../src/mappers/decline-reasons.js';

describe('declineReason', () => {
  it.each([
    ['card_declined', 'insufficient_funds', 'Insufficient funds'],
    ['expired_card', null, 'The card has expired'],
    ['card_declined', null, 'The card was declined by the bank'],
    ['card_declined', 'do_not_honor', 'The bank declined the payment ("do not honor")'],
    ['card_declined', 'lost_card', 'The card was reported lost'],
    ['card_declined', 'stolen_card', 'The card was reported stolen'],
    ['incorrect_cvc', null, "The card's security code (CVC) was wrong"],
    ['processing_error', null, 'A processing error at the bank or card network'],
    ['authentication_required', null, 'The bank requires the customer to authenticate the payment (3-D Secure)'],
    ['card_declined', 'generic_decline', 'The card was declined by the bank without a reason'],
  ])('%s / %s → %s', (code, declineCode, reason) => {
    expect(declineReason(code, declineCode).reason).toBe(reason);
  });

  it('prefers the issuer decline_code over the generic error code', () => {
    expect(declineReason('card_declined', 'expired_card')).toEqual(DECLINE_REASONS['expired_card']);
  });

  it('tells the rep not to retry a lost or stolen card and to ask for another one', () => {
    for (const code of ['lost_card', 'stolen_card']) {
      expect(declineReason('card_declined', code).nextStep).toContain('do not retry this card');
      expect(declineReason('card_declined', code).nextStep).toContain('update_payment_method');
    }
  });

  it('shows an unknown code as Stripe sent it, and says so when there is none', () => {
    expect(declineReason('card_declined', 'some_new_code')).toMatchObject({ reason: 'The card was declined by the bank' });
    expect(declineReason('some_new_error', null).reason).toBe('The payment failed (some_new_error)');
    expect(declineReason(undefined, undefined).reason).toBe('The payment failed (Stripe gave no reason)');
    expect(declineReason('', '').reason).toBe('The payment failed (Stripe gave no reason)');
  });

  it('gives every known code a reason and a next step', () => {
    for (const [code, entry] of Object.entries(DECLINE_REASONS)) {
      expect(entry.reason, code).not.toBe('');
      expect(entry.nextStep, code).not.toBe('');
    }
  });
});
