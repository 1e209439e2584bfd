/**
 * Wires the roll-up writer's core to Salesforce. The Lambda handler calls it once per cold start;
 * the local stack and the bench call it with their own session.
 */
import type { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { RollupWriterConfig } from '../config.js';
import { failureAttributes } from '../ingress/inbound-message.js';
import type { Logger } from '../logging.js';
import { createSalesforceSession, type SalesforceSession } from '../salesforce/session.js';
import { SalesforceWriter } from '../salesforce/writer.js';
import { writeRollups, type RollupDeadLetter, type RollupRecord, type RollupWriteSummary } from './rollup-writer.js';

export interface RollupWriterAppDeps {
  readonly config: RollupWriterConfig;
  readonly logger: Logger;
  readonly salesforceSession?: SalesforceSession;
  readonly now?: () => number;
  /** The SQS client dead letters go through (the local stack's); by default created on first use. */
  readonly sqs?: SQSClient;
}

export interface RollupWriterApp {
  handle(records: readonly RollupRecord[]): Promise<RollupWriteSummary>;
}

export function createRollupWriterApp(deps: RollupWriterAppDeps): RollupWriterApp {
  const { config, logger } = deps;
  const session = deps.salesforceSession ?? createSalesforceSession(config.salesforce, { logger });
  const writer = new SalesforceWriter(session, { apiVersion: config.salesforce.apiVersion, logger });
  const now = deps.now ?? Date.now;
  const deadLetter = config.dlqUrl === undefined ? undefined : sqsDeadLetter(config.dlqUrl, deps.sqs);
  return { handle: (records) => writeRollups(records, { writer, logger, now, deadLetter }) };
}

/**
 * The SDK's SQS client is loaded only when a message is unreadable (rare), not at cold start:
 * the writer's cold start stays the Salesforce session's.
 */
function sqsDeadLetter(dlqUrl: string, given: SQSClient | undefined): RollupDeadLetter {
  let client: Promise<{ sqs: SQSClient; Send: typeof SendMessageCommand }> | undefined;
  return async (record, failure) => {
    client ??= import('@aws-sdk/client-sqs').then(
      (sdk) => ({ sqs: given ?? new sdk.SQSClient({}), Send: sdk.SendMessageCommand }),
      (err: unknown) => {
        client = undefined; // a failed load is retried with the message, not remembered
        throw err;
      },
    );
    const { sqs, Send } = await client;
    await sqs.send(new Send({ QueueUrl: dlqUrl, MessageBody: record.body, MessageAttributes: failureAttributes(failure) }));
  };
}
