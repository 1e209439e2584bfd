/**
 * The ingress core: API Gateway request in, answer to Stripe out. Verify the signature on the raw
 * bytes, recognise the event envelope, enqueue handled types, and answer 2xx only after SQS
 * accepted the message (invariant 3: nothing acknowledged that was not persisted).
 * Dependencies are injected so tests and the local stack build it directly.
 */
import type { IngressConfig } from './config.js';
import { InvalidPayloadError, SignatureVerificationError, errorCode, isBridgeError } from '../errors.js';
import type { Logger } from '../logging.js';
import { verifyStripeSignature, type VerifiedSignature } from '../stripe/signature.js';
import { enqueueEvent, type Enqueued, type EnqueueTarget, type MessageSender } from './enqueue.js';
import { bodyExceeds, headerValue, rawBody, type WebhookRequest } from './request.js';
import * as respond from './responses.js';
import type { WebhookResponse } from './responses.js';
import { rejectionCause } from './rejection-cause.js';
import { parseStripeEvent, type ParsedStripeEvent } from './stripe-event.js';
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
  readonly accepted?: false;
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

/** A verified Stripe event of a handled type, ready to be enqueued. */
interface Accepted {
  readonly accepted: true;
  readonly event: ParsedStripeEvent;
  readonly secretIndex: number;
}

export function createIngress(deps: IngressDeps): Ingress {
  const target: EnqueueTarget = { sqs: deps.sqs, queueUrl: deps.config.queueUrl, maxMessageBytes: deps.config.maxMessageBytes };
  // The fields every enqueued line has in common, serialized once as pino bindings instead of on
  // every webhook: the line is the same JSON object, its constant keys come first.
  const receivedStatus = respond.received().statusCode;
  const enqueuedLog = deps.logger.child({ outcome: 'enqueued' satisfies IngressOutcome, statusCode: receivedStatus });
  const referenceLog = deps.logger.child({ outcome: 'enqueued_reference' satisfies IngressOutcome, statusCode: receivedStatus });

  // Runs once per webhook: no closures or object spreads on the common path (the bundle keeps
  // function names, which costs a call per closure created), and one async frame of ours (this
  // one): the checks are synchronous once the secrets are in memory, the SQS send is awaited here.
  return async (request) => {
    const startedAt = deps.now();
    let result: Result;
    try {
      const checked = check(deps, request);
      const verdict = checked instanceof Promise ? await checked : checked;
      if (verdict.accepted) {
        try {
          result = enqueued(verdict, await enqueueEvent(target, verdict.event.json, verdict.event.summary));
        } catch (err) {
          result = { ...failure(err), eventId: verdict.event.summary.id, eventType: verdict.event.summary.type, secretIndex: verdict.secretIndex };
        }
      } else {
        result = verdict;
      }
    } catch (err) {
      result = failure(err);
    }
    const { response, outcome } = result;
    const durationMs = deps.now() - startedAt;
    if ((outcome === 'enqueued' || outcome === 'enqueued_reference') && response.statusCode === receivedStatus) {
      // The common line, with only the fields it has (each key is work for the serializer).
      (outcome === 'enqueued' ? enqueuedLog : referenceLog).info(
        {
          requestId: request.requestContext.requestId,
          eventId: result.eventId,
          eventType: result.eventType,
          secretIndex: result.secretIndex,
          messageId: result.messageId,
          durationMs,
        },
        'stripe webhook',
      );
      return response;
    }
    const line = {
      requestId: request.requestContext.requestId,
      reason: result.reason,
      details: result.details,
      eventId: result.eventId,
      eventType: result.eventType,
      secretIndex: result.secretIndex,
      messageId: result.messageId,
      outcome,
      ...(outcome === 'rejected' ? { rejectionCause: rejectionCause(result.reason ?? '') } : {}),
      statusCode: response.statusCode,
      durationMs,
    };
    if (outcome === 'failed') deps.logger.error(line, 'stripe webhook failed');
    else if (outcome === 'rejected') deps.logger.warn(line, 'stripe webhook rejected');
    else deps.logger.info(line, 'stripe webhook');
    return response;
  };
}

/**
 * Everything before the enqueue: method, size, signature, envelope, event type. Synchronous when
 * the secrets are in memory (every request but a cold start's first, or one after a rotation).
 */
function check(deps: IngressDeps, request: WebhookRequest): Result | Accepted | Promise<Result | Accepted> {
  const { config } = deps;
  const method = request.requestContext.http.method;
  if (method !== 'POST' && method.toUpperCase() !== 'POST') {
    return { response: respond.methodNotAllowed(), outcome: 'rejected', reason: 'METHOD_NOT_ALLOWED' };
  }
  // Before any decoding or HMAC work: an oversized body costs us nothing.
  if (bodyExceeds(request, config.maxBodyBytes)) {
    return { response: respond.payloadTooLarge(), outcome: 'rejected', reason: 'BODY_TOO_LARGE' };
  }

  const payload = rawBody(request);
  const header = headerValue(request, SIGNATURE_HEADER);
  let verified: VerifiedSignature | undefined;
  try {
    verified = verifyWithCached(deps, payload, header);
  } catch (err) {
    return signatureRejected(err);
  }
  if (verified === undefined) {
    return verify(deps, payload, header).then((fresh) => checkEvent(deps, payload, fresh), signatureRejected);
  }
  return checkEvent(deps, payload, verified);
}

function signatureRejected(err: unknown): Result {
  if (!(err instanceof SignatureVerificationError)) throw err;
  return { response: respond.invalidSignature(), outcome: 'rejected', reason: err.code, details: err.details };
}

function checkEvent(deps: IngressDeps, payload: Buffer | string, verified: VerifiedSignature): Result | Accepted {
  let event: ParsedStripeEvent;
  try {
    event = parseStripeEvent(payload);
  } catch (err) {
    if (!(err instanceof InvalidPayloadError)) throw err;
    return { response: respond.notAStripeEvent(), outcome: 'rejected', reason: err.code, secretIndex: verified.secretIndex };
  }
  const { id: eventId, type: eventType } = event.summary;
  // Deliberately skipped (invariant 3): acknowledged so Stripe stops retrying, and logged.
  if (!deps.config.handledEventTypes.has(eventType)) {
    return {
      response: respond.received(),
      outcome: 'ignored',
      reason: 'EVENT_TYPE_NOT_HANDLED',
      eventId,
      eventType,
      secretIndex: verified.secretIndex,
    };
  }
  return { accepted: true, event, secretIndex: verified.secretIndex };
}

function enqueued({ event, secretIndex }: Accepted, { kind, messageId }: Enqueued): Result {
  return {
    response: respond.received(),
    outcome: kind === 'inline' ? 'enqueued' : 'enqueued_reference',
    messageId,
    eventId: event.summary.id,
    eventType: event.summary.type,
    secretIndex,
  };
}

/**
 * Verifies with the secrets already in memory; undefined when there are none yet or none matched
 * (then `verify` reads them, or re-reads a rotated one).
 */
function verifyWithCached(deps: IngressDeps, payload: Buffer | string, header: string | undefined): VerifiedSignature | undefined {
  const secrets = deps.secrets.cached();
  if (secrets === undefined) return undefined;
  try {
    return verifyWith(deps, payload, header, secrets);
  } catch (err) {
    if (err instanceof SignatureVerificationError && err.code === 'SIGNATURE_MISMATCH') return undefined;
    throw err;
  }
}

/**
 * Verifies with the cached secrets; when none matches, re-reads a rotatable secret (rate-limited
 * inside WebhookSecrets) and tries once more with the fresh value.
 */
async function verify(deps: IngressDeps, payload: Buffer | string, header: string | undefined): Promise<VerifiedSignature> {
  const secrets = deps.secrets.cached() ?? (await deps.secrets.current());
  try {
    return verifyWith(deps, payload, header, secrets);
  } catch (err) {
    if (!(err instanceof SignatureVerificationError) || err.code !== 'SIGNATURE_MISMATCH') throw err;
    const fresh = await deps.secrets.refreshed();
    if (fresh === undefined || sameSecrets(fresh, secrets)) throw err;
    return verifyWith(deps, payload, header, fresh);
  }
}

function verifyWith(deps: IngressDeps, payload: Buffer | string, header: string | undefined, secrets: readonly string[]): VerifiedSignature {
  return verifyStripeSignature({
    payload,
    header,
    secrets,
    toleranceSeconds: deps.config.toleranceSeconds,
    nowSeconds: Math.floor(deps.now() / 1000),
  });
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
