/**
 * The public edge: an HTTP API with exactly one route, `POST /stripe/webhook`, throttled and
 * access-logged, in front of the ingress function. The function verifies the Stripe signature
 * and enqueues; it may send to the inbound queue and read the webhook secret, nothing else.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BRIDGE_ENTRIES } from '../bundling.js';
import { BridgeFunction } from './bridge-function.js';

export const WEBHOOK_PATH = '/stripe/webhook';

export interface IngressProps {
  readonly inboundQueue: IQueue;
  readonly webhookSecret: ISecret;
  readonly rateLimit: number;
  readonly burstLimit: number;
  readonly logLevel: string;
  readonly logRetention: RetentionDays;
}

/** One JSON line per request: who, what, outcome, timings. No headers or bodies. */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    responseLatency: '$context.responseLatency',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    errorMessage: '$context.error.message',
  }),
);

export class Ingress extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;
  public readonly handler: BridgeFunction;
  /** The URL to register as the Stripe webhook endpoint. */
  public readonly webhookUrl: string;

  constructor(scope: Construct, id: string, props: IngressProps) {
    super(scope, id);

    this.handler = new BridgeFunction(this, 'Handler', {
      role: 'ingress',
      entry: BRIDGE_ENTRIES.ingress,
      description: 'Verifies Stripe webhook signatures and enqueues the events',
      // Stripe waits a few seconds for the 2xx; a slow answer only causes a retry.
      timeout: Duration.seconds(10),
      memorySize: 256,
      logRetention: props.logRetention,
      environment: {
        LOG_LEVEL: props.logLevel,
        STRIPE_WEBHOOK_SECRET_ARN: props.webhookSecret.secretArn,
        INBOUND_QUEUE_URL: props.inboundQueue.queueUrl,
      },
    });
    props.inboundQueue.grantSendMessages(this.handler.function);
    props.webhookSecret.grantRead(this.handler.function);

    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });

    this.api = new HttpApi(this, 'Api', {
      description: 'Stripe webhook endpoint of the Stripe-Salesforce bridge',
      // The stage is created below, with throttling and access logs.
      createDefaultStage: false,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit, burstLimit: props.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: ACCESS_LOG_FORMAT,
      },
    });

    const routes = this.api.addRoutes({
      path: WEBHOOK_PATH,
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('WebhookIntegration', this.handler.function),
    });
    for (const route of routes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Stripe cannot send credentials an API Gateway authorizer could check. Every request is ' +
          'authenticated by the ingress function, which verifies the Stripe-Signature HMAC of the raw ' +
          'body against the webhook secret and rejects it otherwise.',
      });
    }

    this.webhookUrl = `${this.api.apiEndpoint}${WEBHOOK_PATH}`;
  }
}
