/**
 * Plain words for what happened to an event, from the outcome lines the cores log: why it was
 * stale, skipped, a duplicate, retried or dead-lettered, and why a webhook was rejected. Ids,
 * codes and reasons only (the cores never log bodies).
 */
import { SOBJECT_LABELS } from './labels.js';
import type { OutcomeLine } from './outcome-observer.js';

/** `Opportunity:006…` → `Opportunity 006…` with the object's label. */
export function describeGuard(guard: string): string {
  const at = guard.indexOf(':');
  if (at < 0) return guard;
  const sobject = guard.slice(0, at);
  return `${SOBJECT_LABELS[sobject] ?? sobject} ${guard.slice(at + 1)}`;
}

const REJECTIONS: Readonly<Record<string, string>> = {
  SIGNATURE_MISSING: 'no Stripe-Signature header',
  SIGNATURE_MALFORMED: 'the Stripe-Signature header is malformed',
  SIGNATURE_MISMATCH: 'signed with another secret than the one the stack verifies with',
  SIGNATURE_STALE: 'the signature timestamp is outside the tolerance window (replayed or clock skew)',
  METHOD_NOT_ALLOWED: 'not a POST',
  BODY_TOO_LARGE: 'the body is larger than WEBHOOK_MAX_BODY_BYTES',
  EVENT_TYPE_NOT_HANDLED: 'not an event type the bridge handles',
};

/** Why an event ended as it did, in words; undefined when there is nothing to add. */
export function explainOutcome(line: OutcomeLine): string | undefined {
  const failure = line.errorCode === undefined ? undefined : `${line.errorCode}${line.reason ? `: ${line.reason}` : ''}`;
  switch (line.outcome) {
    case 'stale': {
      const records = (line.staleRecords ?? []).map(describeGuard);
      return `older than the newest event already applied to ${records.length > 0 ? records.join(', ') : 'its record'}; nothing written`;
    }
    case 'duplicate':
      return `already processed${line.note ? ` (${line.note})` : ''}; nothing written again`;
    case 'skipped':
      return line.note ?? 'nothing to write';
    case 'retry':
      return `${failure ?? line.note ?? 'transient failure'}; SQS delivers it again after the visibility timeout`;
    case 'dead_lettered':
      return failure ?? 'retries exhausted';
    case 'rejected':
      return line.reason === undefined ? undefined : (REJECTIONS[line.reason] ?? line.reason);
    case 'ignored':
      return line.reason === undefined ? undefined : (REJECTIONS[line.reason] ?? line.reason);
    case 'applied':
      return (line.staleRecords ?? []).length > 0 ? `partly: older than the newest event of ${(line.staleRecords ?? []).map(describeGuard).join(', ')}` : undefined;
    default:
      return failure;
  }
}
