/**
 * A batch that arrives while Salesforce's circuit is open: nothing is read, claimed or written.
 * Each message goes back to the queue with its backoff, or to the DLQ once it is older than the
 * retry horizon, with the outage as its reason. One log line per message, as `processBatch`
 * writes them, so the dashboards and metric filters count deferred events as retries.
 */
import type { BridgeError } from '../errors.js';
import { ATTR, attributeValue } from '../ingress/inbound-message.js';
import type { BatchSummary, EventOutcome } from './process-batch.js';
import type { ConsumerPorts, InboundRecord } from './ports.js';

export async function deferBatch(records: readonly InboundRecord[], error: BridgeError, ports: ConsumerPorts): Promise<BatchSummary> {
  const outcomes = new Map<string, EventOutcome>();
  await Promise.all(
    records.map(async (record) => {
      outcomes.set(record.messageId, await defer(record, error, ports));
    }),
  );
  const failures = records.filter((r) => outcomes.get(r.messageId) === 'retry').map((r) => ({ itemIdentifier: r.messageId }));
  return { response: { batchItemFailures: failures }, outcomes, salesforceApiCalls: 0 };
}

async function defer(record: InboundRecord, error: BridgeError, ports: ConsumerPorts): Promise<EventOutcome> {
  const line = {
    eventId: attributeValue(record.messageAttributes, ATTR.eventId),
    eventType: attributeValue(record.messageAttributes, ATTR.eventType),
    messageId: record.messageId,
    receiveCount: record.receiveCount,
    errorCode: error.code,
    permanent: false,
  };
  const decision = ports.retry.decide(record, false);
  if (decision.kind === 'retry') {
    ports.retry.later(record, decision.delaySeconds);
    ports.logger.warn({ ...line, outcome: 'retry', retryInSeconds: decision.delaySeconds }, 'event retry');
    return 'retry';
  }
  try {
    await ports.deadLetter(record, { code: error.code, reason: error.message, failedAt: new Date(ports.now()), receiveCount: record.receiveCount });
  } catch {
    // Not acknowledged: SQS redelivers it, and its redrive policy moves it to the DLQ in the end.
    ports.logger.error({ ...line, outcome: 'retry' }, 'event retry');
    return 'retry';
  }
  ports.logger.error({ ...line, outcome: 'dead_lettered', deadLetterCause: decision.cause, reason: error.message }, 'event dead_lettered');
  return 'dead_lettered';
}
