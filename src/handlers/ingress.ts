/**
 * Lambda entry point for `POST /stripe/webhook` (API Gateway HTTP API, payload v2). Config,
 * clients and the secret cache live at module scope: created once per cold start.
 */
// First: readable stack traces for everything below, decoded only when a stack is printed.
import '../stack-traces.js';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadIngressConfig } from '../ingress/config.js';
import { createIngress } from '../ingress/ingress.js';
import { WebhookSecrets } from '../ingress/webhook-secrets.js';
import { createLogger } from '../logging.js';
import { CachedSecret } from '../secrets.js';

const config = loadIngressConfig();
const logger = createLogger({ level: config.logLevel, service: 'ingress' });
const secret = new CachedSecret(
  { value: config.webhookSecrets.join(','), arn: config.webhookSecretArn },
  undefined,
  'STRIPE_WEBHOOK_SECRET',
);
const ingress = createIngress({
  config,
  sqs: new SQSClient({}),
  secrets: new WebhookSecrets({ secret, now: Date.now }),
  now: Date.now,
  logger,
});

export const handler = (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => ingress(event);
