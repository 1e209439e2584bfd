/**
 * The consumer's reading of one Stripe event: envelope → is it ours (mode, Connect) → object
 * schema → pure mapper. Logs what an operator needs once: each event API version the first time
 * this execution environment sees it, and metadata the mappers passed over.
 */
import type { Logger } from '../logging.js';
import { mapStripeEvent } from '../mappers/index.js';
import { apiVersionSupport, OLDEST_SUPPORTED_API_VERSION, parseStripeEnvelope, parseStripeObject, STRIPE_API_VERSION } from '../stripe/event-schemas.js';
import { outOfScope, type StripeMode } from '../stripe/event-scope.js';
import type { EventEnvelope, InterpretedEvent } from './ports.js';

/**
 * Validates and maps one event. An event of another mode or of a connected account is skipped
 * before its object is looked at: its shape is not this deployment's concern.
 */
export function interpretStripeEvent(json: unknown, mode?: StripeMode): InterpretedEvent {
  const raw = parseStripeEnvelope(json);
  const envelope: EventEnvelope = {
    id: raw.id,
    type: raw.type,
    created: raw.created,
    livemode: raw.livemode,
    apiVersion: raw.api_version,
  };
  const foreign = outOfScope(raw, mode);
  if (foreign !== undefined) return { envelope, result: { outcome: 'skipped', reason: foreign } };
  return { envelope, result: mapStripeEvent(parseStripeObject(raw)) };
}

export interface InterpreterOptions {
  readonly logger: Logger;
  /** The deployment's mode (from its Stripe key); undefined applies both modes. May throw (retry). */
  readonly mode: () => StripeMode | undefined;
}

/** interpretStripeEvent with this execution environment's logging. */
export function createInterpreter(options: InterpreterOptions): (json: unknown) => InterpretedEvent {
  const seenVersions = new Set<string>();
  const logVersion = (envelope: EventEnvelope): void => {
    const version = envelope.apiVersion;
    if (version === null || seenVersions.has(version)) return;
    seenVersions.add(version);
    const support = apiVersionSupport(version);
    const fields = { firstEventId: envelope.id, eventApiVersion: version, pinnedApiVersion: STRIPE_API_VERSION, support };
    if (support === 'pinned' || support === 'supported') {
      options.logger.info(fields, `Stripe event API version ${version}: supported (${OLDEST_SUPPORTED_API_VERSION} to ${STRIPE_API_VERSION})`);
    } else {
      options.logger.warn(
        fields,
        `Stripe event API version ${version} is outside the tested range ${OLDEST_SUPPORTED_API_VERSION} to ${STRIPE_API_VERSION}: events are processed, fields Stripe moved may be missed; set the webhook endpoint to ${STRIPE_API_VERSION}`,
      );
    }
  };
  return (json) => {
    const interpreted = interpretStripeEvent(json, options.mode());
    logVersion(interpreted.envelope);
    const { result } = interpreted;
    if (result.outcome === 'mapped' && result.effect.warnings !== undefined) {
      options.logger.warn(
        { eventId: interpreted.envelope.id, eventType: interpreted.envelope.type, warnings: result.effect.warnings },
        'Stripe metadata ignored',
      );
    }
    return interpreted;
  };
}
