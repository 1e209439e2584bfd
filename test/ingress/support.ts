/** Shared builders for the ingress tests: signed API Gateway requests, events, log capture. */
import Stripe from 'stripe';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createLogger, type Logger } from '../../src/logging.js';

export const stripe = new Stripe('sk_test_fake_ingress_tests');

export const SECRET = 'whsec_test_fake_primary_0123456789abcdef';
export const OTHER_SECRET = 'whsec_test_fake_other_fedcba9876543210';
export const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/stripe-inbound';
/** 2026-01-15T10:00:00Z, a fixed clock for every test. */
export const NOW_MS = 1_768_471_200_000;
export const NOW_S = NOW_MS / 1000;

type EventEnvelope = Pick<
  Stripe.Event,
  'id' | 'object' | 'api_version' | 'created' | 'livemode' | 'pending_webhooks' | 'request' | 'type'
> & { data: { object: Record<string, unknown> } };

/** A payment_intent.succeeded event in Stripe's real envelope shape. */
export function paymentIntentSucceeded(overrides: Partial<EventEnvelope> = {}): EventEnvelope {
  return {
    id: 'evt_3TestIngressEvent0001',
    object: 'event',
    api_version: '2026-10-28.endive',
    created: NOW_S - 5,
    livemode: false,
    pending_webhooks: 1,
    request: { id: 'req_TestIngress0001', idempotency_key: 'idem-test-0001' },
    type: 'payment_intent.succeeded',
    data: {
      object: {
        id: 'pi_3TestIngressPayment01',
        object: 'payment_intent',
        amount: 4200,
        currency: 'eur',
        status: 'succeeded',
        customer: 'cus_TestIngress0001',
        description: 'BODY-MARKER-must-never-reach-logs',
      },
    },
    ...overrides,
  };
}

/** Stripe pretty-prints its webhook bodies; keeping that proves we forward the bytes verbatim. */
export function stripeBody(event: object = paymentIntentSucceeded()): string {
  return `${JSON.stringify(event, null, 2)}\n`;
}

export function sign(payload: string, options: { secret?: string; timestamp?: number } = {}): string {
  return stripe.webhooks.generateTestHeaderString({
    payload,
    secret: options.secret ?? SECRET,
    timestamp: options.timestamp ?? NOW_S,
  });
}

export function apiRequest(options: {
  body?: string;
  headers?: Record<string, string>;
  method?: string;
  isBase64Encoded?: boolean;
}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: 'POST /stripe/webhook',
    rawPath: '/stripe/webhook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0', ...options.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'testapi',
      domainName: 'testapi.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'testapi',
      http: { method, path: '/stripe/webhook', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Stripe/1.0' },
      requestId: 'req-apigw-0001',
      routeKey: 'POST /stripe/webhook',
      stage: '$default',
      time: '15/Jan/2026:10:00:00 +0000',
      timeEpoch: NOW_MS,
    },
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** A signed webhook request as API Gateway delivers it. */
export function signedRequest(body = stripeBody(), options: { secret?: string; timestamp?: number } = {}) {
  return apiRequest({ body, headers: { 'stripe-signature': sign(body, options) } });
}

export interface CapturedLogs {
  readonly logger: Logger;
  readonly raw: string[];
  lines(): Record<string, any>[];
}

/** A real pino logger writing into memory, so tests read back exactly what CloudWatch would get. */
export function captureLogs(): CapturedLogs {
  const raw: string[] = [];
  const logger = createLogger({ service: 'ingress', level: 'info', destination: { write: (chunk: string) => void raw.push(chunk) } });
  return { logger, raw, lines: () => raw.map((line) => JSON.parse(line) as Record<string, any>) };
}
