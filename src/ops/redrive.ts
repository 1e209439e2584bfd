/**
 * Whole-queue redrive of a DLQ with SQS's own message move task: SQS moves every message
 * (attributes kept) back to its source queue (inbound or outbound), server-side, at an optional
 * rate.
 */
import {
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type ListMessageMoveTasksResultEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Clock } from './clock.js';

export interface RedriveOptions {
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly destinationArn: string;
  readonly ratePerSecond?: number | undefined;
  readonly dryRun: boolean;
  readonly pollIntervalMs?: number;
}

export interface RedriveProgress {
  readonly status: string;
  readonly moved: number;
  readonly toMove: number | undefined;
}

export interface RedriveResult extends RedriveProgress {
  readonly dryRun: boolean;
  readonly taskHandle: string | undefined;
  readonly sourceArn: string;
  readonly destinationArn: string;
  /** Messages in the DLQ before the move (visible ones: the ones a move task takes). */
  readonly messagesBefore: number;
  readonly failureReason?: string | undefined;
}

export interface RedriveDeps {
  readonly sqs: SQSClient;
  readonly clock: Clock;
  readonly onProgress?: ((progress: RedriveProgress) => void) | undefined;
}

/** SQS caps a move task at 500 messages per second. */
export const MAX_MOVE_RATE = 500;
const STILL_RUNNING: ReadonlySet<string> = new Set(['RUNNING', 'CANCELLING']);

function progressOf(task: ListMessageMoveTasksResultEntry | undefined): RedriveProgress {
  return {
    status: task?.Status ?? 'UNKNOWN',
    moved: task?.ApproximateNumberOfMessagesMoved ?? 0,
    toMove: task?.ApproximateNumberOfMessagesToMove,
  };
}

export async function redriveAll(deps: RedriveDeps, options: RedriveOptions): Promise<RedriveResult> {
  const attributes = await deps.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: options.dlqUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  const messagesBefore = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? '0');
  const common = { sourceArn: options.dlqArn, destinationArn: options.destinationArn, messagesBefore, dryRun: options.dryRun };
  if (options.dryRun) return { ...common, taskHandle: undefined, status: 'NOT_STARTED', moved: 0, toMove: messagesBefore };

  const started = await deps.sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: options.dlqArn,
      DestinationArn: options.destinationArn,
      ...(options.ratePerSecond === undefined ? {} : { MaxNumberOfMessagesPerSecond: options.ratePerSecond }),
    }),
  );
  const taskHandle = started.TaskHandle;
  for (;;) {
    const listed = await deps.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: options.dlqArn, MaxResults: 10 }));
    const results = listed.Results ?? [];
    // SQS names the handle only on running tasks; the newest task (first) is ours otherwise.
    const task = results.find((t) => t.TaskHandle !== undefined && t.TaskHandle === taskHandle) ?? results[0];
    const progress = progressOf(task);
    if (!STILL_RUNNING.has(progress.status)) {
      return { ...common, ...progress, taskHandle, failureReason: task?.FailureReason };
    }
    deps.onProgress?.(progress);
    await deps.clock.sleep(options.pollIntervalMs ?? 5000);
  }
}
