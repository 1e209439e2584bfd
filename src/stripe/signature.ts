/**
 * Stripe webhook signature verification (the `Stripe-Signature` header), without the `stripe`
 * package so that the ingress bundle stays small.
 *
 * Scheme: the header is `t=<unix seconds>,v1=<hex>,v1=<hex>,…`; each `v1` is the hex
 * HMAC-SHA256 of `${t}.${raw body}` keyed with the whole `whsec_…` string as UTF-8. Stripe sends
 * several `v1` values while an endpoint secret is being rolled; we also accept several secrets
 * of our own for the same reason. `v0` (test-mode legacy) and unknown schemes are ignored.
 *
 * Deliberate differences from stripe-node's `constructEvent`:
 * - The timestamp window is symmetric: a `t` more than `toleranceSeconds` in the future is
 *   rejected too (SIGNATURE_STALE). Stripe's and Lambda's clocks agree to well under the default
 *   300 s, so a genuine delivery never trips it, and it bounds how long any captured signed
 *   request can be replayed. stripe-node only rejects timestamps that are too old.
 * - The timestamp is parsed strictly: exactly one `t`, digits only (stripe-node takes the last
 *   one and parses it leniently). Whitespace around items is tolerated. Stripe sends neither.
 * - A tolerance of 0 is not a "skip the check" switch; it is a configuration error.
 * - The HMAC runs over the raw bytes, not over a UTF-8 decoding of them.
 * The signature is checked before the timestamp, so STALE is only ever reported for a body that
 * was genuinely signed with one of our secrets (a replay), never for a forgery.
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { ConfigError, SignatureVerificationError } from '../errors.js';

export const SIGNATURE_SCHEME = 'v1';

export type SignatureErrorCode = 'SIGNATURE_MISSING' | 'SIGNATURE_MALFORMED' | 'SIGNATURE_MISMATCH' | 'SIGNATURE_STALE';

export interface VerifyStripeSignatureInput {
  /** The request body exactly as received (before any JSON parsing). */
  readonly payload: Buffer | string;
  /** The `Stripe-Signature` header value. */
  readonly header: string | undefined;
  /** Every secret currently accepted (`whsec_…`); more than one while rotating. */
  readonly secrets: readonly string[];
  readonly toleranceSeconds: number;
  readonly nowSeconds: number;
}

export interface VerifiedSignature {
  /** The signed timestamp `t`, in Unix seconds. */
  readonly timestamp: number;
  /** Position in `secrets` of the secret that verified the body (for rotation logs; never the value). */
  readonly secretIndex: number;
}

export interface ParsedSignatureHeader {
  readonly timestamp: number;
  readonly signatures: readonly string[];
}

/** Largest header we parse; Stripe's is about 150 bytes per signature. */
const MAX_HEADER_LENGTH = 4096;

function fail(code: SignatureErrorCode, message: string, details?: Record<string, number>): never {
  throw new SignatureVerificationError(message, { code, details });
}

/** 1 to 15 ASCII digits (what `/^\d{1,15}$/` accepts), checked without a regular expression. */
function isUnixSeconds(value: string): boolean {
  if (value.length === 0 || value.length > 15) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

export function parseSignatureHeader(header: string | undefined): ParsedSignatureHeader {
  if (header === undefined || header.trim() === '') fail('SIGNATURE_MISSING', 'No Stripe-Signature header');
  if (header.length > MAX_HEADER_LENGTH) fail('SIGNATURE_MALFORMED', 'Stripe-Signature header is too long');

  let timestamp: number | undefined;
  const signatures: string[] = [];
  // Scanned in place rather than split into items: this runs for every webhook. Same rules as
  // `header.split(',')` then the first `=` of each item. The next `=` is searched for only once
  // the scan has passed the previous one, so a header of many items without one stays linear.
  let eq = header.indexOf('=');
  for (let start = 0; start <= header.length; ) {
    const comma = header.indexOf(',', start);
    const end = comma === -1 ? header.length : comma;
    if (eq !== -1 && eq < start) eq = header.indexOf('=', start);
    if (eq > start && eq < end) {
      const key = header.slice(start, eq).trim();
      const value = header.slice(eq + 1, end).trim();
      if (key === 't') {
        if (timestamp !== undefined) fail('SIGNATURE_MALFORMED', 'Stripe-Signature header has more than one timestamp');
        if (!isUnixSeconds(value)) fail('SIGNATURE_MALFORMED', 'Stripe-Signature timestamp is not a number');
        timestamp = Number(value);
      } else if (key === SIGNATURE_SCHEME && value !== '') {
        signatures.push(value);
      }
    }
    start = end + 1;
  }
  if (timestamp === undefined) fail('SIGNATURE_MALFORMED', 'Stripe-Signature header has no timestamp');
  if (signatures.length === 0) fail('SIGNATURE_MALFORMED', `Stripe-Signature header has no ${SIGNATURE_SCHEME} signature`);
  return { timestamp, signatures };
}

/**
 * Key objects of the secrets seen so far: a string key is turned into one on every HMAC otherwise.
 * Holds what a deployment configures (one or two secrets while rotating); cleared if it grows.
 */
const keys = new Map<string, KeyObject>();

function keyFor(secret: string): KeyObject {
  let key = keys.get(secret);
  if (key === undefined) {
    if (keys.size >= 16) keys.clear();
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

/** Hex HMAC-SHA256 of `${timestamp}.${payload}`, as Stripe computes it. */
export function computeSignature(payload: Buffer | string, timestamp: number, secret: string): string {
  return createHmac('sha256', keyFor(secret)).update(`${timestamp}.`, 'utf8').update(payload).digest('hex');
}

/** Scratch space for the comparison: no buffer allocated per candidate (a hex SHA-256 is 64 bytes). */
const EXPECTED_BYTES = Buffer.alloc(64);
const CANDIDATE_BYTES = Buffer.alloc(64);

function sameSignature(expectedHex: string, candidate: string): boolean {
  // Different lengths never match, and the length of a hex SHA-256 is public anyway.
  if (candidate.length !== expectedHex.length || expectedHex.length !== EXPECTED_BYTES.length) return false;
  EXPECTED_BYTES.write(expectedHex, 'latin1');
  // UTF-8, so that a character beyond Latin-1 cannot pass for the hex digit its low byte spells.
  // A character that does not fit whole is not written: fewer bytes, and the stale rest of the
  // scratch buffer must not be compared. Non-ASCII bytes that do fit never equal hex digits.
  if (CANDIDATE_BYTES.write(candidate, 'utf8') !== CANDIDATE_BYTES.length) return false;
  return timingSafeEqual(EXPECTED_BYTES, CANDIDATE_BYTES);
}

function hasSecret(secrets: readonly string[]): boolean {
  for (let i = 0; i < secrets.length; i++) if (secrets[i] !== '') return true;
  return false;
}

/**
 * Verifies the body against the header; returns which secret matched, or throws a
 * `SignatureVerificationError` whose `code` says why (the reason is for logs, not for callers).
 */
export function verifyStripeSignature(input: VerifyStripeSignatureInput): VerifiedSignature {
  if (!(input.toleranceSeconds > 0) || !Number.isFinite(input.toleranceSeconds)) {
    throw new ConfigError('The webhook tolerance must be a positive number of seconds', ['STRIPE_WEBHOOK_TOLERANCE_SECONDS']);
  }
  if (!hasSecret(input.secrets)) {
    throw new ConfigError('No webhook signing secret is configured', ['STRIPE_WEBHOOK_SECRET']);
  }
  const { timestamp, signatures } = parseSignatureHeader(input.header);

  let secretIndex = -1;
  // Indexed loops: this runs for every webhook, and iterators allocate.
  for (let index = 0; index < input.secrets.length; index++) {
    const secret = input.secrets[index] ?? '';
    if (secret === '') continue;
    const expected = computeSignature(input.payload, timestamp, secret);
    // Check every candidate without stopping early, so timing says nothing about which one matched.
    let matched = false;
    for (let i = 0; i < signatures.length; i++) matched = sameSignature(expected, signatures[i] ?? '') || matched;
    if (matched) {
      secretIndex = index;
      break;
    }
  }
  if (secretIndex === -1) {
    fail('SIGNATURE_MISMATCH', 'No signature matches the body for any configured secret', {
      signatureCount: signatures.length,
      secretCount: input.secrets.length,
    });
  }

  const ageSeconds = Math.floor(input.nowSeconds) - timestamp;
  if (Math.abs(ageSeconds) > input.toleranceSeconds) {
    fail('SIGNATURE_STALE', 'Signature timestamp is outside the tolerance window', {
      ageSeconds,
      toleranceSeconds: input.toleranceSeconds,
    });
  }
  return { timestamp, secretIndex };
}
