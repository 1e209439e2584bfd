/** The mappers' public surface: Stripe event → Salesforce mutations (pure). */
export { mapStripeEvent } from './map-stripe-event.js';
export type { EventEffect, MapResult, SalesforceMutation } from './mutation.js';
export { RANK } from './ranks.js';
