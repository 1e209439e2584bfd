/** The answers the webhook gives Stripe: small JSON bodies, no detail an attacker could use. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type WebhookResponse = APIGatewayProxyStructuredResultV2 & {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
};

function json(statusCode: number, body: Record<string, unknown>, headers: Record<string, string> = {}): WebhookResponse {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

const RECEIVED = JSON.stringify({ received: true });
/** The answer to (almost) every webhook: its body is serialized once. */
export const received = (): WebhookResponse => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: RECEIVED });
/** One message for missing, malformed, wrong and stale signatures; the reason goes to the log only. */
export const invalidSignature = (): WebhookResponse => json(400, { error: 'Invalid signature' });
export const notAStripeEvent = (): WebhookResponse => json(400, { error: 'Not a Stripe event' });
export const methodNotAllowed = (): WebhookResponse => json(405, { error: 'Method not allowed' }, { allow: 'POST' });
export const payloadTooLarge = (): WebhookResponse => json(413, { error: 'Payload too large' });
/** Stripe retries any non-2xx answer; 503 says "try again", 500 says "we are misconfigured". */
export const temporarilyUnavailable = (): WebhookResponse => json(503, { error: 'Temporarily unavailable' });
export const internalError = (): WebhookResponse => json(500, { error: 'Internal error' });
