/** The mappers' public surface: Stripe event → Salesforce mutations (pure). */
export { mapStripeEvent } from './map-stripe-event.js';
export { guardOf, type EventEffect, type MapResult, type SalesforceMutation } from './mutation.js';
export { RANK } from './ranks.js';
