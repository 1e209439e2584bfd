/**
 * The whole bridge in one Node process (`npm start`): the real ingress, consumer and outbound
 * cores, an in-process queue with SQS semantics between ingress and consumer, dynalite for the
 * dedup table, and Salesforce/Stripe as real services when configured, embedded stand-ins
 * otherwise. Programmatic so that `main.ts` and the end-to-end test start the same thing.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { DestinationStream } from 'pino';
import type Stripe from 'stripe';
import { loadConsumerConfig, loadIngressConfig, loadOutboundConfig, loadRollupWriterConfig, type Env } from '../config.js';
import { ROLLUP_BATCH_SIZE, ROLLUP_MAX_CONCURRENCY } from '../rollups/rollup-queue.js';
import { createRollupWriterApp } from '../rollups/rollup-writer-app.js';
import { ConfigError, errorCode } from '../errors.js';
import { createConsumerApp } from '../inbound/consumer-app.js';
import type { MessageSender } from '../ingress/enqueue.js';
import { ATTR, attributeValue } from '../ingress/inbound-message.js';
import { createIngress } from '../ingress/ingress.js';
import { WebhookSecrets } from '../ingress/webhook-secrets.js';
import { createLogger, type Logger } from '../logging.js';
import { createOutboundApp } from '../commands/app.js';
import { describeInbound, describeOutbound, type DlqEntry } from '../ops/dlq-message.js';
import { replaySelected } from '../ops/replay.js';
import { systemClock } from '../ops/clock.js';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { createSalesforceSession } from '../salesforce/session.js';
import { CachedSecret } from '../secrets.js';
import { ActivityLog } from './activity.js';
import { componentEnvs, LOCAL_DEDUP_TABLE, LOCAL_OUTBOUND_FUNCTION, LOCAL_QUEUE_NAMES, localQueueUrl, planLocalStack, type LocalPlan } from './environment.js';
import { explainOutcome } from './explain.js';
import { digestStripeEvent } from './event-digest.js';
import { createLambdaEndpoint } from './lambda-endpoint.js';
import { localAwsConfig } from '../ops/local-aws.js';
import { LocalQueue, type QueuedMessage } from './local-queue.js';
import { observingDestination, type OutcomeLine } from './outcome-observer.js';
import { startPoller, type QueuePoller } from './poller.js';
import { createOutboundRunner } from './platform-event-route.js';
import { createRequestListener, type JsonReply, type LocalApi } from './routes.js';
import { seedSalesforce, seedStripe, type SeededSalesforce } from './seed.js';
import { createSqsEndpoint } from './sqs-endpoint.js';
import { startDynalite, type LocalDynamo } from './standins/dynalite.js';
import { startSalesforceStandIn, STANDIN_CLIENT_ID, STANDIN_CLIENT_SECRET, type SalesforceStandIn } from './standins/salesforce-standin.js';
import { startStripeStandIn, type StripeStandIn } from './standins/stripe-standin.js';
import { redactRecord } from './redact.js';
import { closest } from './did-you-mean.js';
import { playStory, STORY_NAMES } from './stories.js';
import type { StripeClientOptions } from '../stripe/client.js';
import { computeSignature } from '../stripe/signature.js';
import { renderRecordPage, renderStoryPage } from './story-view.js';
import { renderHomePage, type DeadLetterRow, type ServiceLine } from './views.js';

export interface LocalStackOptions {
  /** The variables of the configuration contract (process.env for `npm start`). */
  readonly env?: Env;
  /** 0 picks a free port. Default: PORT, else 8787. */
  readonly port?: number;
  /** Where the JSON log lines go (default stdout). */
  readonly logDestination?: DestinationStream;
  /** Seconds between reloads of the home page; 0 turns it off. Default 3. */
  readonly refreshSeconds?: number;
  /**
   * The consumer's and outbound function's stripe-node settings (tests set
   * `initialNetworkRetryDelaySeconds: 0`, so a Stripe outage they inject is not waited out);
   * `npm start` leaves them to createStripeClient's defaults.
   */
  readonly stripeOptions?: Omit<StripeClientOptions, 'apiUrl'>;
}

export interface ServiceInfo {
  readonly mode: 'real' | 'embedded';
  /** The API base the bridge calls (for real Stripe without STRIPE_API_URL: api.stripe.com). */
  readonly url: string;
}

export interface LocalQueueInfo {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
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
  /** The inbound queue, its DLQ, the outbound DLQ and the roll-up DLQ, also served over SQS's protocol at `url`. */
  readonly queue: LocalQueue;
  readonly inboundDlq: LocalQueue;
  readonly outboundDlq: LocalQueue;
  readonly rollupsDlq: LocalQueue;
  readonly queues: {
    readonly inbound: LocalQueueInfo;
    readonly inboundDlq: LocalQueueInfo;
    readonly outboundDlq: LocalQueueInfo;
    /** The roll-up queue the consumer sends Account roll-ups to, and its DLQ. */
    readonly rollups: LocalQueueInfo;
    readonly rollupsDlq: LocalQueueInfo;
  };
  /** The outbound function's name for Lambda's Invoke API at `url`. */
  readonly outboundFunctionName: string;
  readonly activity: ActivityLog;
  /** Resolves when every event sent so far was handled (or waits out a visibility timeout). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** The objects the views list, in the order an admin thinks of them. */
const VIEW_OBJECTS = ['Account', 'Opportunity', 'OpportunityLineItem', 'Order', 'Product2', 'Pricebook2', 'PricebookEntry', 'Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Subscription__c', 'Stripe_Subscription_Change__c', 'Stripe_Refund__c', 'Case'];

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? {};
  // Validation first: a bad variable fails before anything listens.
  const plan = await planLocalStack(env);
  const destination = options.logDestination ?? process.stdout;
  const loggerFor = (service: string, observe?: (line: OutcomeLine) => void): Logger =>
    createLogger({ service, level: plan.logLevel, destination: observe === undefined ? destination : observingDestination(destination, observe) });
  const localLogger = loggerFor('local');

  const closers: Array<() => Promise<void>> = [];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.splice(0).reverse()) {
      await close().catch((err: unknown) => localLogger.warn({ code: errorCode(err) }, 'could not close a local service'));
    }
  };

  try {
    // Listening first: the queues' URLs (which the consumer and the CLI use) are the stack's own.
    // Filled in once everything behind the routes runs; until then the stack answers 503.
    const ready: { api?: LocalApi } = {};
    const host = '127.0.0.1';
    let port = 0;
    const server = createServer((req, res) => {
      if (ready.api === undefined) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"The local stack is starting"}\n');
        return;
      }
      listener(req, res);
    });
    const listener = createRequestListener(
      {
        webhook: (...args) => (ready.api as LocalApi).webhook(...args),
        platformEvent: (event) => (ready.api as LocalApi).platformEvent(event),
        sqs: (...args) => (ready.api as LocalApi).sqs(...args),
        lambda: (...args) => (ready.api as LocalApi).lambda(...args),
        replay: (...args) => (ready.api as LocalApi).replay(...args),
        rejectNextWrite: (request) => (ready.api as LocalApi).rejectNextWrite(request),
        story: (name) => (ready.api as LocalApi).story(name),
        health: () => (ready.api as LocalApi).health(),
        events: () => (ready.api as LocalApi).events(),
        event: (id) => (ready.api as LocalApi).event(id),
        records: () => (ready.api as LocalApi).records(),
        deadLetters: () => (ready.api as LocalApi).deadLetters(),
        home: (notice) => (ready.api as LocalApi).home(notice),
        raw: () => (ready.api as LocalApi).raw(),
        record: (sobject, id) => (ready.api as LocalApi).record(sobject, id),
      },
      localLogger,
      { port: () => port },
    );
    await listen(server, options.port ?? plan.port, host);
    closers.push(
      () =>
        new Promise<void>((resolve, reject) => {
          server.closeAllConnections();
          server.close((err) => (err ? reject(err) : resolve()));
        }),
    );
    port = (server.address() as AddressInfo).port;
    const url = `http://${host}:${port}`;

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
      stackUrl: url,
      salesforceUrl: salesforce?.url,
      salesforceClientId: STANDIN_CLIENT_ID,
      salesforceClientSecret: STANDIN_CLIENT_SECRET,
      stripeUrl: stripe?.url,
    });
    const ingressConfig = loadIngressConfig(envs.ingress);
    const consumerConfig = loadConsumerConfig(envs.consumer);
    const outboundConfig = loadOutboundConfig(envs.outbound);

    const inboundDlq = new LocalQueue({ visibilityTimeoutMs: plan.queue.visibilityTimeoutMs });
    const outboundDlq = new LocalQueue({ visibilityTimeoutMs: plan.queue.visibilityTimeoutMs });
    const queue = new LocalQueue({ ...plan.queue, deadLetterQueue: inboundDlq });
    const rollupDlq = new LocalQueue({ visibilityTimeoutMs: plan.queue.visibilityTimeoutMs });
    // As deployed: up to 100 roll-up messages per writer batch (infra/constructs/rollup-writes.ts).
    const rollupQueue = new LocalQueue({ batchSize: ROLLUP_BATCH_SIZE, visibilityTimeoutMs: plan.queue.visibilityTimeoutMs, deadLetterQueue: rollupDlq });
    const sqsEndpoint = createSqsEndpoint({
      queues: [
        { name: LOCAL_QUEUE_NAMES.inbound, queue },
        { name: LOCAL_QUEUE_NAMES.inboundDlq, queue: inboundDlq },
        { name: LOCAL_QUEUE_NAMES.outboundDlq, queue: outboundDlq },
        { name: LOCAL_QUEUE_NAMES.rollups, queue: rollupQueue },
        { name: LOCAL_QUEUE_NAMES.rollupsDlq, queue: rollupDlq },
      ],
    });
    closers.push(async () => sqsEndpoint.close());
    const queueInfo = (name: string): LocalQueueInfo => ({ name, url: localQueueUrl(url, name), arn: sqsEndpoint.queueArn(name) });
    const queues = {
      inbound: queueInfo(LOCAL_QUEUE_NAMES.inbound),
      inboundDlq: queueInfo(LOCAL_QUEUE_NAMES.inboundDlq),
      outboundDlq: queueInfo(LOCAL_QUEUE_NAMES.outboundDlq),
      rollups: queueInfo(LOCAL_QUEUE_NAMES.rollups),
      rollupsDlq: queueInfo(LOCAL_QUEUE_NAMES.rollupsDlq),
    };
    // The consumer dead-letters through the SDK over SQS's protocol, exactly as in Lambda.
    const sqs = new SQSClient(localAwsConfig(url));
    closers.push(async () => sqs.destroy());
    const activity = new ActivityLog();

    // What the cores log per outcome, kept until the batch or request that produced it is recorded.
    const consumerLines = new Map<string, OutcomeLine>();
    const ingressLines = new Map<string, OutcomeLine>();

    // One Salesforce session for both flows, as one login would serve them in one process.
    const session = createSalesforceSession(consumerConfig.salesforce, { logger: loggerFor('salesforce') });
    const consumer = createConsumerApp({
      config: consumerConfig,
      logger: loggerFor('consumer', (line) => {
        if (line.messageId !== undefined) consumerLines.set(line.messageId, line);
      }),
      dynamo: dynamo.client,
      salesforceSession: session,
      // Dead letters and the retry backoff (ChangeMessageVisibilityBatch) go through the SDK over
      // SQS's protocol to this stack's queues, exactly as in Lambda.
      sqs,
      stripeOptions: options.stripeOptions,
    });
    // The roll-up writer drains the roll-up queue the consumer sends to, and dead-letters an
    // unreadable message to the roll-up DLQ (over SQS's protocol, as above).
    const rollupWriter = createRollupWriterApp({ config: loadRollupWriterConfig(envs.consumer), logger: loggerFor('rollup-writer'), salesforceSession: session, sqs });
    const outbound = createOutboundApp({
      config: outboundConfig,
      logger: loggerFor('outbound'),
      dynamo: dynamo.client,
      salesforceSession: session,
      stripeOptions: options.stripeOptions,
    });
    const outboundRunner = createOutboundRunner({ outbound, activity, outboundDlq });
    const lambdaEndpoint = createLambdaEndpoint([{ name: LOCAL_OUTBOUND_FUNCTION, invoke: (event) => outboundRunner.run(event, { asynchronous: true }) }]);

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
      logger: loggerFor('ingress', (line) => {
        if (line.requestId !== undefined) ingressLines.set(line.requestId, line);
      }),
    });

    const poller: QueuePoller = startPoller(
      queue,
      async (batch) => {
        const summary = await consumer.handle(batch);
        for (const message of batch) {
          const id = attributeValue(message.messageAttributes, ATTR.eventId) ?? message.messageId;
          const line = consumerLines.get(message.messageId);
          consumerLines.delete(message.messageId);
          const status = summary.outcomes.get(message.messageId) ?? 'retry';
          activity.record(id, {
            source: 'stripe',
            type: attributeValue(message.messageAttributes, ATTR.eventType) ?? '',
            status,
            receiveCount: message.receiveCount,
            note: line === undefined ? undefined : explainOutcome({ ...line, outcome: status }),
            records: line?.records,
          });
        }
        return summary.response.batchItemFailures.map((f) => f.itemIdentifier);
      },
      { logger: localLogger, concurrency: plan.queue.concurrency },
    );
    closers.push(() => poller.stop());
    const rollupPoller: QueuePoller = startPoller(rollupQueue, async (batch) => (await rollupWriter.handle(batch)).response.batchItemFailures.map((f) => f.itemIdentifier), {
      logger: localLogger,
      concurrency: ROLLUP_MAX_CONCURRENCY,
      batchingWindowMs: plan.queue.rollupWindowMs,
    });
    closers.push(() => rollupPoller.stop());
    // Everything an event set off: its batch, then the roll-ups that batch queued.
    const settled = async (): Promise<void> => {
      await poller.idle();
      await rollupPoller.idle();
    };

    const services: LocalStack['services'] = {
      salesforce: {
        mode: plan.salesforce,
        url: salesforce?.url ?? plan.salesforceInstanceUrl ?? plan.salesforceLoginUrl ?? 'https://login.salesforce.com',
      },
      stripe: { mode: plan.stripe, url: stripe?.url ?? plan.stripeApiUrl ?? 'https://api.stripe.com' },
      dynamo: { url: dynamo.endpoint, table: consumerConfig.dedup.tableName },
    };

    const deadLetterRows = (): DeadLetterRow[] => [
      ...inboundDlq.peek().map((m) => ({ queue: 'inbound' as const, entry: describeInbound(asSqsMessage(m)) })),
      ...outboundDlq.peek().map((m) => ({ queue: 'outbound' as const, entry: describeOutbound(asSqsMessage(m)) })),
    ];
    const queueStats = () => ({ ...queue.stats(), deadLettered: inboundDlq.stats().visible + inboundDlq.stats().inFlight, outboundDeadLettered: outboundDlq.peek().length });

    ready.api = {
      async webhook(request, rawBody) {
        const response = await ingress(request);
        const requestId = request.requestContext.requestId ?? randomUUID();
        const line = ingressLines.get(requestId);
        ingressLines.delete(requestId);
        if (response.statusCode >= 300) {
          activity.record(`webhook:${requestId}`, {
            source: 'stripe',
            type: 'webhook',
            status: 'rejected',
            note: `${response.statusCode} ${safeError(response.body)}${line === undefined ? '' : ` — ${explainOutcome(line) ?? ''}`}`.replace(/ — $/, ''),
          });
          return response;
        }
        // Verified by the ingress: now it is safe to read.
        const event = parseEvent(rawBody);
        if (event !== undefined) {
          if (activity.get(event.id) === undefined) {
            activity.record(event.id, { source: 'stripe', type: event.type, status: 'ignored', note: 'not an event type the bridge handles' });
          }
          activity.annotate(event.id, digestStripeEvent(event.raw));
          // Lets the consumer fetch an event that travelled as a reference, as from Stripe's API.
          stripe?.registerEvent(event.raw as Stripe.Event);
        }
        return response;
      },
      platformEvent: (event) => outboundRunner.route(event),
      sqs: (target, body, baseUrl) => sqsEndpoint.handle(target, body, baseUrl),
      lambda: (path, type, body) => lambdaEndpoint.handle(path, type, body),
      async story(name) {
        if (!STORY_NAMES.includes(name)) {
          return { status: 404, body: { error: `No story "${name}"`, stories: STORY_NAMES, didYouMean: closest(name, STORY_NAMES) } };
        }
        if (salesforce === undefined || stripe === undefined || seeded === undefined) {
          return { status: 409, body: { error: 'Stories play against the embedded Salesforce and Stripe: start npm start without their variables' } };
        }
        const secret = plan.webhookSecrets[0] as string;
        const outcomeOf = (id: string) => {
          const entry = activity.get(id);
          return { status: entry?.status ?? 'unknown', note: entry?.note };
        };
        const result = await playStory(name, {
          salesforce,
          stripe,
          accountId: seeded.accountId,
          now: () => Math.floor(Date.now() / 1000),
          async deliver(event) {
            // Signed and posted like Stripe delivers it, through the real webhook route.
            const payload = JSON.stringify(event);
            const t = Math.floor(Date.now() / 1000);
            const response = await fetch(`${url}/stripe/webhook`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${computeSignature(payload, t, secret)}` },
              body: payload,
            });
            await response.body?.cancel();
            await settled();
            return response.status >= 300 ? { status: 'rejected', note: `HTTP ${response.status}` } : outcomeOf(event.id);
          },
          async closedWon(event) {
            try {
              const result = await outboundRunner.run(event);
              return { status: result.outcome, note: result.reason };
            } catch {
              return outcomeOf(`sf:${event.detail.payload.EventUuid}`);
            }
          },
        });
        return { status: 200, body: result };
      },
      rejectNextWrite(request) {
        if (salesforce === undefined) return { status: 404, body: { error: 'Salesforce is real: break something in your org instead' } };
        const { sobject, key, code, message } = (request ?? {}) as Record<string, unknown>;
        if (typeof sobject !== 'string' || typeof key !== 'string' || typeof code !== 'string' || !/^[A-Z_]+$/.test(code)) {
          return { status: 400, body: { error: 'Expected {"sobject": "Stripe_Payment__c", "key": "pi_…", "code": "FIELD_CUSTOM_VALIDATION_EXCEPTION"}' } };
        }
        salesforce.failRecord(sobject, key, code, typeof message === 'string' ? message : `Rejected on purpose (${code})`, 1);
        return { status: 200, body: { sobject, key, code, times: 1 } };
      },
      async replay(queueName, eventId) {
        const kind = queueName === 'outbound' ? 'outbound' : 'inbound';
        // The CLI's own selective replay, through the SDK against this stack: the same code path.
        const lambda = new LambdaClient(localAwsConfig(url));
        try {
          const summary = await replaySelected(
            { sqs, lambda, clock: systemClock },
            kind === 'inbound'
              ? { kind, dlqUrl: queues.inboundDlq.url, queueUrl: queues.inbound.url }
              : { kind, dlqUrl: queues.outboundDlq.url, functionName: LOCAL_OUTBOUND_FUNCTION },
            { filter: { all: false, eventIds: new Set([eventId]), type: undefined, since: undefined }, dryRun: false, waitTimeSeconds: 0 },
          );
          const outcome = summary.outcomes[0];
          return { location: `/?replayed=${encodeURIComponent(eventId)}&outcome=${encodeURIComponent(outcome?.outcome ?? 'not-found')}#dlq` };
        } finally {
          lambda.destroy();
        }
      },
      health: () => ({
        status: 'ok',
        salesforce: services.salesforce.mode,
        stripe: services.stripe.mode,
        queue: queueStats(),
      }),
      events: () => ({ events: activity.list() }),
      event: (id) => activity.get(id),
      records: (): JsonReply =>
        salesforce === undefined
          ? { status: 404, body: { error: 'Salesforce is real: its records are in your org, not in the local stack' } }
          : { status: 200, body: { salesforce: 'embedded', objects: recordsOf(salesforce) } },
      deadLetters: () => {
        // What `dlq peek` shows: ids, types, receive counts and reasons, never bodies.
        const messages = deadLetterRows().map(({ queue: kind, entry }) => dlqJson(kind, entry));
        return { count: messages.length, messages };
      },
      home: (notice) =>
        renderStoryPage({
          services: serviceLines(services, plan),
          queue: queueStats(),
          activity: activity.list(),
          records: salesforce === undefined ? undefined : recordsOf(salesforce),
          recordUrl: (sobject, id) =>
            salesforce === undefined ? `${plan.salesforceInstanceUrl ?? services.salesforce.url}/lightning/r/${sobject}/${id}/view` : `/records/${sobject}/${id}`,
          invoice: (id) => {
            const found = stripe?.invoices().find((i) => i.id === id);
            return found === undefined ? undefined : { number: found.number, amount: found.amount_due, currency: found.currency };
          },
          deadLetters: deadLetterRows(),
          refreshSeconds: options.refreshSeconds ?? 3,
          notice,
          corporateCurrency: salesforce?.organization.defaultCurrencyIsoCode,
        }),
      raw: () =>
        renderHomePage({
          services: serviceLines(services, plan),
          queue: queueStats(),
          activity: activity.list(),
          records: salesforce === undefined ? undefined : recordsOf(salesforce),
          deadLetters: deadLetterRows(),
          refreshSeconds: 0,
        }),
      record(sobject, id) {
        const found = salesforce === undefined || !VIEW_OBJECTS.includes(sobject) ? undefined : salesforce.records(sobject).find((r) => r.Id === id);
        return { status: found === undefined ? 404 : 200, html: renderRecordPage(sobject, found === undefined ? undefined : redactRecord(sobject, found)) };
      },
    };
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
      inboundDlq,
      outboundDlq,
      rollupsDlq: rollupDlq,
      queues,
      outboundFunctionName: LOCAL_OUTBOUND_FUNCTION,
      activity,
      idle: async () => {
        await lambdaEndpoint.idle();
        await settled();
      },
      close: () => (closing ??= closeAll()),
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** A stored message as SQS's ReceiveMessage renders it, for the CLI's own describers. */
function asSqsMessage(message: QueuedMessage) {
  return {
    MessageId: message.messageId,
    ReceiptHandle: '',
    Body: message.body,
    Attributes: { SentTimestamp: String(message.sentAt), ApproximateReceiveCount: String(message.receiveCount) },
    MessageAttributes: message.messageAttributes,
  };
}

function dlqJson(queue: 'inbound' | 'outbound', entry: DlqEntry) {
  return {
    queue,
    messageId: entry.messageId,
    eventId: entry.eventId,
    eventType: entry.eventType,
    receiveCount: entry.receiveCount,
    code: entry.failureCode,
    reason: entry.failureReason,
    failedAt: entry.failedAt === undefined ? undefined : new Date(entry.failedAt).toISOString(),
    ...(entry.opportunityId === undefined ? {} : { opportunityId: entry.opportunityId }),
  };
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
  return Object.fromEntries(VIEW_OBJECTS.map((sobject) => [sobject, salesforce.records(sobject).map((r) => redactRecord(sobject, r))]));
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
