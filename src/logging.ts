/**
 * Structured JSON logs (pino). One line per event outcome; ids, types, outcomes and timings only.
 * Redaction is a safety net: callers never pass payloads, emails, tokens or card data on purpose.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field names that must never reach a log line, wherever they appear (one level of nesting). */
const SENSITIVE_KEYS = [
  'authorization',
  'Authorization',
  'stripe-signature',
  'Stripe-Signature',
  'secret',
  'secrets',
  'webhookSecret',
  'webhookSecrets',
  'secretKey',
  'apiKey',
  'accessToken',
  'access_token',
  'refreshToken',
  'clientSecret',
  'client_secret',
  'privateKey',
  'password',
  'email',
  'Email',
  'receipt_email',
  'customer_email',
  'billing_email',
  'card',
  'number',
  'cvc',
  'exp_month',
  'exp_year',
  'fingerprint',
  'body',
  'rawBody',
  'payload',
];

export const REDACT_PATHS: readonly string[] = [
  ...SENSITIVE_KEYS,
  ...SENSITIVE_KEYS.map((k) => `*.${k}`),
  'headers.authorization',
  'headers["stripe-signature"]',
];

export interface LoggerOptions {
  readonly level?: string;
  readonly service: string;
  /** Tests pass a stream to read log lines back. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    },
    options.destination,
  );
}
