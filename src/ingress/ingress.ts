/**
 * The ingress core: API Gateway request in, answer to Stripe out. Verify the signature on the raw
 * bytes, recognise the event envelope, enqueue handled types, and answer 2xx only after SQS
 * accepted the message (invariant 3: nothing acknowledged that was not persisted).
 * Dependencies are injected so tests and the local stack build it directly.
 */
import type { IngressConfig } from '../config.js';
import { InvalidPayloadError, SignatureVerificationError, errorCode, isBridgeError } from '../errors.js';
import type { Logger } from '../logging.js';
import { verifyStripeSignature, type VerifiedSignature } from '../stripe/signature.js';
import { enqueueEvent, type MessageSender } from './enqueue.js';
import { bodyByteLength, headerValue, rawBody, type WebhookRequest } from './request.js';
import * as respond from './responses.js';
import type { WebhookResponse } from './responses.js';
import { rejectionCause } from './rejection-cause.js';
import { parseStripeEvent } from './stripe-event.js';
import type { WebhookSecrets } from './webhook-secrets.js';

export type IngressSettings = Pick<
  IngressConfig,
  'toleranceSeconds' | 'handledEventTypes' | 'queueUrl' | 'maxBodyBytes' | 'maxMessageBytes'
>;

export interface IngressDeps {
  readonly config: IngressSettings;
  readonly sqs: MessageSender;
  readonly secrets: WebhookSecrets;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly logger: Logger;
}

export type IngressOutcome = 'enqueued' | 'enqueued_reference' | 'ignored' | 'rejected' | 'failed';

export type Ingress = (request: WebhookRequest) => Promise<WebhookResponse>;

interface Result {
  readonly response: WebhookResponse;
  readonly outcome: IngressOutcome;
  readonly reason?: string | undefined;
  readonly details?: Readonly<Record<string, string | number | boolean | undefined>> | undefined;
  readonly eventId?: string | undefined;
  readonly eventType?: string | undefined;
  readonly secretIndex?: number | undefined;
  readonly messageId?: string | undefined;
}

const SIGNATURE_HEADER = 'stripe-signature';

export function createIngress(deps: IngressDeps): Ingress {
  return async (request) => {
    const startedAt = deps.now();
    const result = await handle(deps, request).catch((err: unknown) => failure(err));
    const { response, outcome, ...fields } = result;
    const line = {
      requestId: request.requestContext.requestId,
      ...fields,
      outcome,
      ...(outcome === 'rejected' ? { rejectionCause: rejectionCause(fields.reason ?? '') } : {}),
      statusCode: response.statusCode,
      durationMs: deps.now() - startedAt,
    };
    if (outcome === 'failed') deps.logger.error(line, 'stripe webhook failed');
    else if (outcome === 'rejected') deps.logger.warn(line, 'stripe webhook rejected');
    else deps.logger.info(line, 'stripe webhook');
    return response;
  };
}

async function handle(deps: IngressDeps, request: WebhookRequest): Promise<Result> {
  const { config } = deps;
  if (request.requestContext.http.method.toUpperCase() !== 'POST') {
    return { response: respond.methodNotAllowed(), outcome: 'rejected', reason: 'METHOD_NOT_ALLOWED' };
  }
  // Before any decoding or HMAC work: an oversized body costs us nothing.
  if (bodyByteLength(request) > config.maxBodyBytes) {
    return { response: respond.payloadTooLarge(), outcome: 'rejected', reason: 'BODY_TOO_LARGE' };
  }

  const payload = rawBody(request);
  let verified: VerifiedSignature;
  try {
    verified = await verify(deps, payload, headerValue(request, SIGNATURE_HEADER));
  } catch (err) {
    if (!(err instanceof SignatureVerificationError)) throw err;
    return { response: respond.invalidSignature(), outcome: 'rejected', reason: err.code, details: err.details };
  }

  let event: ReturnType<typeof parseStripeEvent>;
  try {
    event = parseStripeEvent(payload);
  } catch (err) {
    if (!(err instanceof InvalidPayloadError)) throw err;
    return { response: respond.notAStripeEvent(), outcome: 'rejected', reason: err.code, secretIndex: verified.secretIndex };
  }
  const { id: eventId, type: eventType } = event.summary;
  const known = { eventId, eventType, secretIndex: verified.secretIndex };

  // Deliberately skipped (invariant 3): acknowledged so Stripe stops retrying, and logged.
  if (!config.handledEventTypes.has(eventType)) {
    return { response: respond.received(), outcome: 'ignored', reason: 'EVENT_TYPE_NOT_HANDLED', ...known };
  }

  try {
    const enqueued = await enqueueEvent(
      { sqs: deps.sqs, queueUrl: config.queueUrl, maxMessageBytes: config.maxMessageBytes },
      event.json,
      event.summary,
    );
    return {
      response: respond.received(),
      outcome: enqueued.kind === 'inline' ? 'enqueued' : 'enqueued_reference',
      messageId: enqueued.messageId,
      ...known,
    };
  } catch (err) {
    return { ...failure(err), ...known };
  }
}

/**
 * Verifies with the cached secrets; when none matches, re-reads a rotatable secret (rate-limited
 * inside WebhookSecrets) and tries once more with the fresh value.
 */
async function verify(deps: IngressDeps, payload: Buffer | string, header: string | undefined): Promise<VerifiedSignature> {
  const check = (secrets: readonly string[]) =>
    verifyStripeSignature({
      payload,
      header,
      secrets,
      toleranceSeconds: deps.config.toleranceSeconds,
      nowSeconds: Math.floor(deps.now() / 1000),
    });
  const secrets = await deps.secrets.current();
  try {
    return check(secrets);
  } catch (err) {
    if (!(err instanceof SignatureVerificationError) || err.code !== 'SIGNATURE_MISMATCH') throw err;
    const fresh = await deps.secrets.refreshed();
    if (fresh === undefined || sameSecrets(fresh, secrets)) throw err;
    return check(fresh);
  }
}

function sameSecrets(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((secret, i) => secret === b[i]);
}

/** Anything but a transient failure (a bug, a misconfiguration) is a 500; both make Stripe retry. */
function failure(err: unknown): Result {
  const transient = isBridgeError(err) && err.kind === 'transient';
  return {
    response: transient ? respond.temporarilyUnavailable() : respond.internalError(),
    outcome: 'failed',
    reason: errorCode(err),
    details: isBridgeError(err) ? err.details : undefined,
  };
}
