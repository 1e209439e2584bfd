/**
 * `--local`: the operator CLI against the running local stack (`npm start`), exactly as against
 * AWS. The stack's state file names its queues, its outbound function and, when Stripe is
 * embedded, the Stripe API the stack uses; the SDK clients talk to the stack's SQS and Lambda
 * endpoints with fake credentials.
 */
import type { Env } from '../config.js';
import { localAwsConfig, type LocalAwsClientConfig } from './local-aws.js';
import { findRunningStacks, type LocalStackState } from './local-state.js';
import { UsageError } from './errors.js';
import type { DlqKind, TargetOptions, Targets } from './targets.js';

export interface LocalTarget {
  readonly state: LocalStackState;
  readonly aws: LocalAwsClientConfig;
  readonly targets: Targets;
}

export async function findLocalStack(env: Env, directory?: string): Promise<LocalStackState> {
  const portText = env['PORT']?.trim();
  const port = portText === undefined || portText === '' ? undefined : Number(portText);
  if (port !== undefined && !Number.isInteger(port)) throw new UsageError(`PORT=${portText}: not a port number`);
  const running = await findRunningStacks({ ...(port === undefined ? {} : { port }), ...(directory === undefined ? {} : { directory }) });
  if (running.length === 0) {
    throw new UsageError(`No local stack is running${port === undefined ? '' : ` on port ${port}`}: start one with \`npm start\``);
  }
  if (running.length > 1) {
    throw new UsageError(`Several local stacks are running (ports ${running.map((s) => s.port).join(', ')}): set PORT to pick one`);
  }
  return running[0] as LocalStackState;
}

export function localTargets(state: LocalStackState, options: TargetOptions): Targets {
  const queues = state.queues;
  if (queues === undefined) throw new UsageError('The running local stack is older than this CLI: restart it with `npm start`');
  const explicitDlq = (kind: DlqKind): string | undefined => ((options.dlqKind ?? 'inbound') === kind ? options.dlqUrl : undefined);
  return {
    stackName: undefined,
    inboundQueueUrl: options.queueUrl ?? queues.inbound.url,
    inboundQueueArn: options.queueUrl === undefined ? queues.inbound.arn : undefined,
    inboundDlqUrl: explicitDlq('inbound') ?? queues.inboundDlq.url,
    inboundDlqArn: explicitDlq('inbound') === undefined ? queues.inboundDlq.arn : undefined,
    // The local stack runs the outbound function directly (no outbound queue): replay invokes it.
    outboundQueueUrl: undefined,
    outboundQueueArn: undefined,
    outboundDlqUrl: explicitDlq('outbound') ?? queues.outboundDlq.url,
    outboundDlqArn: explicitDlq('outbound') === undefined ? queues.outboundDlq.arn : undefined,
    outboundFunctionName: options.functionName ?? state.outboundFunctionName,
    rollupQueueUrl: (options.dlqKind === 'rollups' ? options.queueUrl : undefined) ?? queues.rollups?.url,
    rollupQueueArn: options.dlqKind === 'rollups' && options.queueUrl !== undefined ? undefined : queues.rollups?.arn,
    rollupDlqUrl: explicitDlq('rollups') ?? queues.rollupsDlq?.url,
    rollupDlqArn: explicitDlq('rollups') === undefined ? queues.rollupsDlq?.arn : undefined,
  };
}

export async function resolveLocalTarget(env: Env, options: TargetOptions, directory?: string): Promise<LocalTarget> {
  const state = await findLocalStack(env, directory);
  return { state, aws: localAwsConfig(state.url), targets: localTargets(state, options) };
}
