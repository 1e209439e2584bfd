/** Deleting every message in a DLQ: irreversible, so the CLI asks for --yes first. */
import { GetQueueAttributesCommand, PurgeQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface PurgeResult {
  readonly queueUrl: string;
  /** Approximate depth just before the purge: what was thrown away. */
  readonly messagesBefore: number;
}

export async function purgeDlq(sqs: SQSClient, dlqUrl: string): Promise<PurgeResult> {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: dlqUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const visible = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? '0');
  const inFlight = Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible ?? '0');
  await sqs.send(new PurgeQueueCommand({ QueueUrl: dlqUrl }));
  return { queueUrl: dlqUrl, messagesBefore: visible + inFlight };
}
