/**
 * Where the commands act: queue and DLQ URLs/ARNs and the outbound function, read from the bridge
 * stack's outputs (`--stack`/`--stage`) and overridden by explicit flags.
 */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { STACK_OUTPUT, stackName } from '../stack-outputs.js';
import { UsageError } from './errors.js';

/** The bridge's DLQs: Stripe events, payment requests and commands, Account roll-ups. */
export type DlqKind = 'inbound' | 'outbound' | 'rollups';

export interface TargetOptions {
  readonly stack?: string | undefined;
  readonly stage?: string | undefined;
  /** The DLQ of the queue kind the command works on. */
  readonly dlqUrl?: string | undefined;
  readonly dlqKind?: DlqKind | undefined;
  /** The source queue of the kind the command works on: replay (and replay-event, inbound) send here. */
  readonly queueUrl?: string | undefined;
  /** The outbound function, for outbound replay where there is no outbound queue. */
  readonly functionName?: string | undefined;
}

export interface Targets {
  readonly stackName: string | undefined;
  readonly inboundQueueUrl: string | undefined;
  readonly inboundQueueArn: string | undefined;
  readonly inboundDlqUrl: string | undefined;
  readonly inboundDlqArn: string | undefined;
  readonly outboundQueueUrl: string | undefined;
  readonly outboundQueueArn: string | undefined;
  readonly outboundDlqUrl: string | undefined;
  readonly outboundDlqArn: string | undefined;
  readonly outboundFunctionName: string | undefined;
  /** The roll-up queue and its DLQ (undefined for stacks deployed before they existed). */
  readonly rollupQueueUrl: string | undefined;
  readonly rollupQueueArn: string | undefined;
  readonly rollupDlqUrl: string | undefined;
  readonly rollupDlqArn: string | undefined;
}

export async function readStackOutputs(cfn: CloudFormationClient, name: string): Promise<ReadonlyMap<string, string>> {
  const response = await cfn.send(new DescribeStacksCommand({ StackName: name }));
  const stack = response.Stacks?.[0];
  if (stack === undefined) throw new UsageError(`Stack ${name} not found`);
  const outputs = new Map<string, string>();
  for (const output of stack.Outputs ?? []) {
    if (output.OutputKey !== undefined && output.OutputValue !== undefined) outputs.set(output.OutputKey, output.OutputValue);
  }
  return outputs;
}

/** Stack outputs first, explicit flags win; nothing is required here, each command checks its own needs. */
export async function resolveTargets(cfn: CloudFormationClient, options: TargetOptions): Promise<Targets> {
  if (options.stack !== undefined && options.stage !== undefined) {
    throw new UsageError('Pass either --stack or --stage, not both');
  }
  const name = options.stack ?? (options.stage === undefined ? undefined : stackName(options.stage));
  const outputs = name === undefined ? new Map<string, string>() : await readStackOutputs(cfn, name);
  const dlqKind = options.dlqKind ?? 'inbound';
  const explicitDlq = (kind: DlqKind): string | undefined => (dlqKind === kind ? options.dlqUrl : undefined);
  // An explicit URL must not be paired with the stack's ARN of another queue.
  const arnUnlessOverridden = (explicit: string | undefined, key: string): string | undefined =>
    explicit === undefined ? outputs.get(key) : undefined;
  const inboundDlq = explicitDlq('inbound');
  const outboundDlq = explicitDlq('outbound');
  const explicitQueue = (kind: DlqKind): string | undefined => (dlqKind === kind ? options.queueUrl : undefined);
  const inboundQueue = explicitQueue('inbound');
  const outboundQueue = explicitQueue('outbound');
  const rollupDlq = explicitDlq('rollups');
  const rollupQueue = explicitQueue('rollups');
  return {
    stackName: name,
    inboundQueueUrl: inboundQueue ?? outputs.get(STACK_OUTPUT.inboundQueueUrl),
    inboundQueueArn: arnUnlessOverridden(inboundQueue, STACK_OUTPUT.inboundQueueArn),
    inboundDlqUrl: inboundDlq ?? outputs.get(STACK_OUTPUT.inboundDlqUrl),
    inboundDlqArn: arnUnlessOverridden(inboundDlq, STACK_OUTPUT.inboundDlqArn),
    outboundQueueUrl: outboundQueue ?? outputs.get(STACK_OUTPUT.outboundQueueUrl),
    outboundQueueArn: arnUnlessOverridden(outboundQueue, STACK_OUTPUT.outboundQueueArn),
    outboundDlqUrl: outboundDlq ?? outputs.get(STACK_OUTPUT.outboundDlqUrl),
    outboundDlqArn: arnUnlessOverridden(outboundDlq, STACK_OUTPUT.outboundDlqArn),
    outboundFunctionName: options.functionName ?? outputs.get(STACK_OUTPUT.outboundFunctionName),
    rollupQueueUrl: rollupQueue ?? outputs.get(STACK_OUTPUT.rollupQueueUrl),
    rollupQueueArn: arnUnlessOverridden(rollupQueue, STACK_OUTPUT.rollupQueueArn),
    rollupDlqUrl: rollupDlq ?? outputs.get(STACK_OUTPUT.rollupDlqUrl),
    rollupDlqArn: arnUnlessOverridden(rollupDlq, STACK_OUTPUT.rollupDlqArn),
  };
}

const HOW_TO_NAME = 'pass --stage STAGE or --stack NAME';

export function dlqUrlFor(targets: Targets, kind: DlqKind): string {
  const url = { inbound: targets.inboundDlqUrl, outbound: targets.outboundDlqUrl, rollups: targets.rollupDlqUrl }[kind];
  if (url === undefined) throw new UsageError(`No ${kind} DLQ URL: ${HOW_TO_NAME}, or --dlq-url with --queue ${kind}`);
  return url;
}

/** The queue a DLQ's messages go back to (its source queue). */
export function queueUrlFor(targets: Targets, kind: DlqKind): string {
  const url = { inbound: targets.inboundQueueUrl, outbound: targets.outboundQueueUrl, rollups: targets.rollupQueueUrl }[kind];
  if (url === undefined) throw new UsageError(`No ${kind} queue URL: ${HOW_TO_NAME}, or --queue-url with --queue ${kind}`);
  return url;
}

export function outboundFunctionOf(targets: Targets): string {
  if (targets.outboundFunctionName === undefined) {
    throw new UsageError(`No outbound queue or function: ${HOW_TO_NAME}, or --queue-url (or --function-name) with --queue outbound`);
  }
  return targets.outboundFunctionName;
}

export function queueArnFor(targets: Targets, kind: DlqKind): { readonly queue: string | undefined; readonly dlq: string | undefined } {
  if (kind === 'rollups') return { queue: targets.rollupQueueArn, dlq: targets.rollupDlqArn };
  return kind === 'inbound'
    ? { queue: targets.inboundQueueArn, dlq: targets.inboundDlqArn }
    : { queue: targets.outboundQueueArn, dlq: targets.outboundDlqArn };
}

/** The ARN from the stack outputs, else asked of SQS (explicit URLs come without one). */
export async function queueArnOf(sqs: SQSClient, url: string, known: string | undefined): Promise<string> {
  if (known !== undefined) return known;
  const response = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = response.Attributes?.QueueArn;
  if (arn === undefined) throw new UsageError(`SQS returned no ARN for ${url}`);
  return arn;
}
