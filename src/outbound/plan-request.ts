/** The planner's view of a billing request (what to bill, how, and when it was asked). */
import type { PlanRequest } from './plan.js';
import type { BillingRequest } from './process-request.js';

export function planRequestOf(request: BillingRequest, now: () => number): PlanRequest {
  return {
    mode: request.mode,
    daysUntilDue: request.daysUntilDue,
    requestId: request.eventId,
    requestedAt: request.requestedAt,
    checkoutHours: request.checkoutHours,
    checkoutPages: request.checkoutPages,
    collectionMethod: request.collectionMethod,
    nowSeconds: Math.floor(now() / 1000),
  };
}
