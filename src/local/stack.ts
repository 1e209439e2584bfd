/**
 * The whole bridge in one Node process (`npm start`): the real ingress, consumer and outbound
 * cores, an in-process queue with SQS semantics between ingress and consumer, dynalite for the
 * dedup table, and Salesforce/Stripe as real services when configured, embedded stand-ins
 * otherwise. Programmatic so that `main.ts` and the end-to-end test start the same thing.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DestinationStream } from 'pino';
import type Stripe from 'stripe';
import { startDynalite, type LocalDynamo } from './standins/dynalite.js';
import { startSalesforceStandIn, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, type SalesforceStandIn } from './standins/salesforce-standin.js';
import { startStripeStandIn, type StripeStandIn } from './standins/stripe-standin.js';
import { loadConsumerConfig, loadIngressConfig, loadOutboundConfig, type Env } from '../config.js';
import { ConfigError, errorCode } from '../errors.js';
import { createConsumerApp, deadLetterAttributes } from '../inbound/consumer-app.js';
import type { MessageSender } from '../ingress/enqueue.js';
import { ATTR, attributeValue } from '../ingress/inbound-message.js';
import { createIngress } from '../ingress/ingress.js';
import { WebhookSecrets } from '../ingress/webhook-secrets.js';
import { createLogger, type Logger } from '../logging.js';
import { createOutboundApp } from '../outbound/app.js';
import { createSalesforceSession } from '../salesforce/session.js';
import { CachedSecret } from '../secrets.js';
import { ActivityLog } from './activity.js';
import { componentEnvs, LOCAL_DEDUP_TABLE, planLocalStack, type LocalPlan } from './environment.js';
import { LocalQueue } from './local-queue.js';
import { startPoller, type QueuePoller } from './poller.js';
import { handlePlatformEvent } from './platform-event-route.js';
import { createRequestListener, type JsonReply, type LocalApi } from './routes.js';
import { seedSalesforce, seedStripe, type SeededSalesforce } from './seed.js';
import { renderHomePage, type ServiceLine } from './views.js';

export interface LocalStackOptions {
  /** The variables of the configuration contract (process.env for `npm start`). */
  readonly env?: Env;
  /** 0 picks a free port. Default 8787. */
  readonly port?: number;
  /** Default 127.0.0.1: the views have no login, so they stay on this machine. */
  readonly host?: string;
  /** Where the JSON log lines go (default stdout). */
  readonly logDestination?: DestinationStream;
  /** Seconds between reloads of the home page; 0 turns it off. Default 3. */
  readonly refreshSeconds?: number;
}

export interface ServiceInfo {
  readonly mode: 'real' | 'embedded';
  /** The API base the bridge calls (for real Stripe without STRIPE_API_URL: api.stripe.com). */
  readonly url: string;
}

export interface LocalStack {
  readonly url: string;
  readonly port: number;
  /** The secret `send-event` and `stripe listen` must sign with (the first one when rotating). */
  readonly webhookSecret: string | undefined;
  readonly webhookSecretGenerated: boolean;
  readonly plan: LocalPlan;
  readonly services: {
    readonly salesforce: ServiceInfo;
    readonly stripe: ServiceInfo;
    readonly dynamo: { readonly url: string; readonly table: string };
  };
  /** The embedded stand-ins (undefined when the service is real). */
  readonly salesforce: SalesforceStandIn | undefined;
  readonly stripe: StripeStandIn | undefined;
  readonly seeded: SeededSalesforce | undefined;
  readonly queue: LocalQueue;
  readonly activity: ActivityLog;
  /** Resolves when every event sent so far was handled (or waits out a visibility timeout). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The objects the views list, in the order an admin thinks of them. */
const VIEW_OBJECTS = ['Account', 'Opportunity', 'OpportunityLineItem', 'Order', 'Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c', 'Case'];

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? {};
  // Validation first: a bad variable fails before anything listens.
  const plan = await planLocalStack(env);
  const loggerFor = (service: string): Logger =>
    createLogger({ service, level: plan.logLevel, destination: options.logDestination ?? process.stdout });
  const localLogger = loggerFor('local');

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((err: unknown) => localLogger.warn({ code: errorCode(err) }, 'could not close a local service'));
    }
  };

  try {
    const dynamo: LocalDynamo = await startDynalite(env['DEDUP_TABLE_NAME']?.trim() || LOCAL_DEDUP_TABLE);
    closers.push(() => dynamo.close());
    // A multi-currency org (corporate USD) with a USD and a JPY Opportunity: the currency comes from the record.
    const salesforce = plan.salesforce === 'embedded' ? await startSalesforceStandIn({ organization: { multiCurrency: true, defaultCurrencyIsoCode: 'USD' } }) : undefined;
    if (salesforce !== undefined) closers.push(() => salesforce.close());
    const stripe = plan.stripe === 'embedded' ? await startStripeStandIn() : undefined;
    if (stripe !== undefined) closers.push(() => stripe.close());
    if (stripe !== undefined) seedStripe(stripe);
    const seeded = salesforce === undefined ? undefined : seedSalesforce(salesforce, { linkedCustomer: stripe !== undefined });

    const envs = componentEnvs(env, plan, {
      salesforceUrl: salesforce?.url,
      salesforceClientId: STANDIN_CLIENT_ID,
      salesforceClientSecret: STANDIN_CLIENT_SECRET,
      stripeUrl: stripe?.url,
    });
    const ingressConfig = loadIngressConfig(envs.ingress);
    const consumerConfig = loadConsumerConfig(envs.consumer);
    const outboundConfig = loadOutboundConfig(envs.outbound);

    const queue = new LocalQueue(plan.queue);
    const activity = new ActivityLog();

    // One Salesforce session for both flows, as one login would serve them in one process.
    const session = createSalesforceSession(consumerConfig.salesforce, { logger: loggerFor('salesforce') });
    const consumer = createConsumerApp({
      config: consumerConfig,
      logger: loggerFor('consumer'),
      dynamo: dynamo.client,
      salesforceSession: session,
      deadLetter: async (record, failure) => {
        queue.deadLetter(record, failure, { attributes: deadLetterAttributes(record.messageAttributes, failure) });
      },
      // The same backoff as in AWS: a retried message waits in the queue, not in a tight loop.
      changeVisibility: async (changes) => {
        for (const change of changes) queue.changeVisibility(change.receiptHandle, change.delaySeconds);
      },
    });
    const outbound = createOutboundApp({ config: outboundConfig, logger: loggerFor('outbound'), dynamo: dynamo.client, salesforceSession: session });

    // The ingress sends through this, so the views know an event was queued and as what.
    const sender: MessageSender = {
      async send(command) {
        const output = await queue.send(command);
        const attributes = command.input.MessageAttributes;
        const id = attributeValue(attributes, ATTR.eventId);
        if (id !== undefined) activity.record(id, { source: 'stripe', type: attributeValue(attributes, ATTR.eventType) ?? '', status: 'queued' });
        return output;
      },
    };
    const webhookSecret = new CachedSecret(
      { value: plan.webhookSecrets.join(','), arn: ingressConfig.webhookSecretArn },
      undefined,
      'STRIPE_WEBHOOK_SECRET',
    );
    const ingress = createIngress({
      config: ingressConfig,
      sqs: sender,
      secrets: new WebhookSecrets({ secret: webhookSecret, now: Date.now }),
      now: Date.now,
      logger: loggerFor('ingress'),
    });

    const poller: QueuePoller = startPoller(
      queue,
      async (batch) => {
        const summary = await consumer.handle(batch);
        for (const message of batch) {
          const id = attributeValue(message.messageAttributes, ATTR.eventId) ?? message.messageId;
          activity.record(id, {
            source: 'stripe',
            type: attributeValue(message.messageAttributes, ATTR.eventType) ?? '',
            status: summary.outcomes.get(message.messageId) ?? 'retry',
            receiveCount: message.receiveCount,
          });
        }
        return summary.response.batchItemFailures.map((f) => f.itemIdentifier);
      },
      { logger: localLogger },
    );
    closers.push(() => poller.stop());

    const services: LocalStack['services'] = {
      salesforce: {
        mode: plan.salesforce,
        url: salesforce?.url ?? plan.salesforceInstanceUrl ?? plan.salesforceLoginUrl ?? 'https://login.salesforce.com',
      },
      stripe: { mode: plan.stripe, url: stripe?.url ?? plan.stripeApiUrl ?? 'https://api.stripe.com' },
      dynamo: { url: dynamo.endpoint, table: consumerConfig.dedup.tableName },
    };

    const api: LocalApi = {
      async webhook(request, rawBody) {
        const response = await ingress(request);
        if (response.statusCode >= 300) {
          activity.record(`webhook:${request.requestContext.requestId ?? randomUUID()}`, {
            source: 'stripe',
            type: 'webhook',
            status: 'rejected',
            note: `${response.statusCode} ${safeError(response.body)}`,
          });
          return response;
        }
        // Verified by the ingress: now it is safe to read.
        const event = parseEvent(rawBody);
        if (event !== undefined) {
          if (activity.get(event.id) === undefined) {
            activity.record(event.id, { source: 'stripe', type: event.type, status: 'ignored', note: 'type not handled' });
          }
          // Lets the consumer fetch an event that travelled as a reference, as from Stripe's API.
          stripe?.registerEvent(event.raw as Stripe.Event);
        }
        return response;
      },
      async platformEvent(event) {
        return handlePlatformEvent(event, { outbound, activity, queue });
      },
      health: () => ({
        status: 'ok',
        salesforce: services.salesforce.mode,
        stripe: services.stripe.mode,
        queue: queue.stats(),
      }),
      events: () => ({ events: activity.list() }),
      event: (id) => activity.get(id),
      records: (): JsonReply =>
        salesforce === undefined
          ? { status: 404, body: { error: 'Salesforce is real: its records are in your org, not in the local stack' } }
          : { status: 200, body: { salesforce: 'embedded', objects: recordsOf(salesforce) } },
      deadLetters: () => {
        const messages = queue.deadLetters().map((d) => ({
          messageId: d.messageId,
          source: d.source,
          eventId: d.messageAttributes[ATTR.eventId]?.StringValue,
          eventType: d.messageAttributes[ATTR.eventType]?.StringValue,
          receiveCount: d.receiveCount,
          code: d.code,
          reason: d.reason,
          deadLetteredAt: new Date(d.deadLetteredAt).toISOString(),
          messageAttributes: d.messageAttributes,
          body: d.body,
        }));
        return { count: messages.length, messages };
      },
      home: () =>
        renderHomePage({
          services: serviceLines(services, plan),
          queue: queue.stats(),
          activity: activity.list(),
          records: salesforce === undefined ? undefined : recordsOf(salesforce),
          deadLetters: queue.deadLetters(),
          refreshSeconds: options.refreshSeconds ?? 3,
        }),
    };

    const server = createServer(createRequestListener(api, localLogger));
    const host = options.host ?? '127.0.0.1';
    const requestedPort = options.port ?? 8787;
    await listen(server, requestedPort, host);
    closers.push(
      () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((err) => (err ? reject(err) : resolve()));
        }),
    );
    const port = (server.address() as AddressInfo).port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    localLogger.info({ url, salesforce: plan.salesforce, stripe: plan.stripe }, 'local stack ready');

    let closing: Promise<void> | undefined;
    return {
      url,
      port,
      webhookSecret: plan.webhookSecrets[0],
      webhookSecretGenerated: plan.webhookSecretGenerated,
      plan,
      services,
      salesforce,
      stripe,
      seeded,
      queue,
      activity,
      idle: () => poller.idle(),
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function listen(server: Server, port: number, host: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        reject(new ConfigError(`Port ${port} on ${host} is already in use (another npm start?): stop it or set PORT`, ['PORT']));
      } else {
        reject(err);
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function recordsOf(salesforce: SalesforceStandIn): Record<string, Array<Record<string, unknown>>> {
  return Object.fromEntries(VIEW_OBJECTS.map((sobject) => [sobject, salesforce.records(sobject)]));
}

function serviceLines(services: LocalStack['services'], plan: LocalPlan): ServiceLine[] {
  return [
    { name: 'Salesforce', mode: services.salesforce.mode, detail: services.salesforce.url },
    { name: 'Stripe API', mode: services.stripe.mode, detail: services.stripe.url },
    { name: 'DynamoDB', mode: 'embedded', detail: `dynalite in memory, table ${services.dynamo.table}` },
    {
      name: 'Webhook secret',
      mode: plan.webhookSecretGenerated ? 'generated' : 'configured',
      detail: plan.webhookSecretGenerated ? 'printed in the terminal at start' : 'from STRIPE_WEBHOOK_SECRET',
    },
  ];
}

/** The error text of one of the ingress's small JSON answers (never anything a sender put there). */
function safeError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : '';
  } catch {
    return '';
  }
}

function parseEvent(raw: Buffer): { id: string; type: string; raw: unknown } | undefined {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as { id?: unknown; type?: unknown };
    if (typeof parsed.id !== 'string' || typeof parsed.type !== 'string') return undefined;
    return { id: parsed.id, type: parsed.type, raw: parsed };
  } catch {
    return undefined;
  }
}
