/**
 * Structured JSON logs (pino). One line per event outcome; ids, types, outcomes and timings only.
 * Redaction is a safety net: callers never pass payloads, emails, tokens or card data on purpose.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys that must never reach a log line. Explicit paths only: wildcard paths make pino's
 * redaction cost more per line than verifying the webhook signature itself.
 */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'headers.authorization',
  'headers["stripe-signature"]',
  'secret',
  'webhookSecret',
  'secretKey',
  'accessToken',
  'clientSecret',
  'privateKey',
  'password',
  'email',
  'card',
  'body',
  'payload',
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
      // Epoch milliseconds: cheapest to write; CloudWatch stamps every line with a readable time anyway.
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    },
    options.destination,
  );
}
