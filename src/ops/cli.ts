/**
 * The operator CLI: parses arguments, builds AWS/Stripe clients, calls the core functions and
 * prints. Exit status: 0 ok, 1 something failed, 2 usage error.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Env } from '../config.js';
import { errorCode, errorReason } from '../errors.js';
import { createStripeClient } from '../stripe/client.js';
import { parseCommand, wantsDebug, wantsJson, type Command, type CommonOptions } from './args.js';
import { systemClock, type Clock } from './clock.js';
import { UsageError } from './errors.js';
import {
  formatPeek,
  formatProgress,
  formatPurge,
  formatRedrive,
  formatRedriveProgress,
  formatReplay,
  formatReplayEvents,
  formatStats,
} from './format.js';
import { sampleDlq } from './peek.js';
import { purgeDlq } from './purge.js';
import { redriveAll } from './redrive.js';
import { replaySelected, type ReplayTarget } from './replay.js';
import { replayStripeEvents, stripeEventFetcher } from './replay-event.js';
import { dlqStats, type DlqStats } from './stats.js';
import { dlqUrlFor, outboundFunctionOf, queueArnFor, queueArnOf, queueUrlFor, resolveTargets, type Targets } from './targets.js';
import { resolveLocalTarget } from './local-target.js';
import type { LocalStackState } from './local-state.js';
import { executeReconcileCommand, type ProgressSink } from './reconcile-commands.js';

export interface CliDeps {
  readonly env: Env;
  readonly clock: Clock;
  readonly stdout: (line: string) => void;
  /** Progress and errors: keeps stdout clean for --json. */
  readonly stderr: (line: string) => void;
  /** A progress line rewritten in place when stderr is a terminal (backfill). */
  readonly progress?: ProgressSink;
  /** Registers a Ctrl-C handler (backfill stops after its batch); returns its removal. */
  readonly onInterrupt?: (handler: () => void) => () => void;
  /** Where `--local` looks for the running stack's state file (default the OS temp directory). */
  readonly localStateDirectory?: string;
  /** Builds the SQS and CloudFormation clients from the options (default: new clients). */
  readonly awsClients?: AwsClientFactory;
}

/** The client settings the options select: region, profile, the local stack's endpoint. */
export interface AwsClientConfig {
  readonly region?: string;
  readonly profile?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The seam where tests hand in clients mocked one instance at a time (aws-sdk-client-mock's
 * `mockClient(instance)`), rather than stubbing the client classes for the whole process.
 */
export interface AwsClientFactory {
  sqs(config: AwsClientConfig): SQSClient;
  cloudFormation(config: AwsClientConfig): CloudFormationClient;
}

const newAwsClients: AwsClientFactory = {
  sqs: (config) => new SQSClient(config),
  cloudFormation: (config) => new CloudFormationClient(config),
};

const defaultDeps = (): CliDeps => ({
  env: process.env,
  clock: systemClock,
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
  progress: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
  onInterrupt: (handler) => {
    process.on('SIGINT', handler);
    return () => void process.off('SIGINT', handler);
  },
});

interface AwsClients {
  readonly sqs: SQSClient;
  readonly lambda: () => LambdaClient;
  readonly targets: () => Promise<Targets>;
  /** The local stack's state with --local (its embedded Stripe, for replay-event). */
  readonly local: LocalStackState | undefined;
  destroy(): void;
}

async function awsClients(common: CommonOptions, deps: CliDeps): Promise<AwsClients> {
  const local = common.local ? await resolveLocalTarget(deps.env, common.targets, deps.localStateDirectory) : undefined;
  // `profile` on the client selects the shared-config profile, as AWS_PROFILE would.
  const config: AwsClientConfig = {
    ...(common.region === undefined ? {} : { region: common.region }),
    ...(common.profile === undefined ? {} : { profile: common.profile }),
    ...(local === undefined ? {} : local.aws),
    ...(common.endpointUrl === undefined ? {} : { endpoint: common.endpointUrl }),
  };
  const factory = deps.awsClients ?? newAwsClients;
  const sqs = factory.sqs(config);
  let lambda: LambdaClient | undefined;
  let targets: Promise<Targets> | undefined;
  return {
    sqs,
    lambda: () => (lambda ??= new LambdaClient(config)),
    targets: () => (targets ??= local === undefined ? resolveTargets(factory.cloudFormation(config), common.targets) : Promise.resolve(local.targets)),
    local: local?.state,
    destroy() {
      sqs.destroy();
      lambda?.destroy();
    },
  };
}

type Printer = (result: unknown, human: () => readonly string[]) => void;

async function execute(command: Exclude<Command, { name: 'help' }>, deps: CliDeps, print: Printer): Promise<number> {
  const aws = await awsClients(command.common, deps);
  try {
    return await executeWith(aws, command, deps, print);
  } finally {
    aws.destroy();
  }
}

async function executeWith(aws: AwsClients, command: Exclude<Command, { name: 'help' }>, deps: CliDeps, print: Printer): Promise<number> {
  const sqs = aws.sqs;
  const clock = deps.clock;
  switch (command.name) {
    case 'dlq stats': {
      const targets = await aws.targets();
      const results: DlqStats[] = [];
      for (const queue of command.queues) {
        // A stack deployed before the roll-up queue existed has no roll-up DLQ to list.
        if (queue === 'rollups' && command.queues.length > 1 && targets.rollupDlqUrl === undefined) continue;
        results.push(await dlqStats({ sqs, clock }, dlqUrlFor(targets, queue), queue, { maxSampled: command.sample }));
      }
      print(results, () => results.flatMap(formatStats));
      return 0;
    }
    case 'dlq peek': {
      const url = dlqUrlFor(await aws.targets(), command.queue);
      const sample = await sampleDlq(sqs, url, command.queue, { limit: command.limit, maxSampled: command.sample, type: command.type });
      const now = clock.now();
      print(sample, () => formatPeek(command.queue, sample.entries, sample.sampled, now));
      return 0;
    }
    case 'dlq replay': {
      const targets = await aws.targets();
      const dlqUrl = dlqUrlFor(targets, command.queue);
      // The outbound DLQ goes back to the outbound queue; without one (the local stack, a stack
      // deployed before the outbound queue existed) its events go to the function itself.
      const viaFunction = command.queue === 'outbound' && targets.outboundQueueUrl === undefined;
      if (command.filter.all && !viaFunction) {
        const queueUrl = queueUrlFor(targets, command.queue);
        const arns = queueArnFor(targets, command.queue);
        const result = await redriveAll(
          { sqs, clock, onProgress: (p) => deps.stderr(formatRedriveProgress(p)) },
          {
            dlqUrl,
            dlqArn: await queueArnOf(sqs, dlqUrl, arns.dlq),
            destinationArn: await queueArnOf(sqs, queueUrl, arns.queue),
            ratePerSecond: command.rate,
            dryRun: command.dryRun,
          },
        );
        print(result, () => formatRedrive(result));
        return result.dryRun || result.status === 'COMPLETED' ? 0 : 1;
      }
      const target: ReplayTarget = viaFunction
        ? { kind: 'outbound', dlqUrl, functionName: outboundFunctionOf(targets) }
        : { kind: command.queue, dlqUrl, queueUrl: queueUrlFor(targets, command.queue) };
      const summary = await replaySelected(
        {
          sqs,
          lambda: 'functionName' in target ? aws.lambda() : undefined,
          clock,
          onProgress: (p) => deps.stderr(formatProgress(p)),
        },
        target,
        { filter: command.filter, dryRun: command.dryRun, ratePerSecond: command.rate },
      );
      print(summary, () => formatReplay(summary));
      return summary.failed > 0 ? 1 : 0;
    }
    case 'dlq purge': {
      const result = await purgeDlq(sqs, dlqUrlFor(await aws.targets(), command.queue));
      print(result, () => formatPurge(command.queue, result));
      return 0;
    }
    case 'replay-event': {
      // With --local and the embedded Stripe, the stack's Stripe is the one that knows its events.
      const embedded = aws.local?.embeddedStripe;
      const secretKey = nonBlank(deps.env.STRIPE_SECRET_KEY) ?? embedded?.secretKey;
      if (secretKey === undefined) {
        throw new UsageError('Set STRIPE_SECRET_KEY (a restricted key with read access to events is enough)');
      }
      const apiUrl = nonBlank(deps.env.STRIPE_API_URL) ?? (nonBlank(deps.env.STRIPE_SECRET_KEY) === undefined ? embedded?.apiUrl : undefined);
      if (apiUrl !== undefined && !URL.canParse(apiUrl)) throw new UsageError(`STRIPE_API_URL is not a URL: ${apiUrl}`);
      const queueUrl = queueUrlFor(await aws.targets(), 'inbound');
      const stripe = createStripeClient(secretKey, { apiUrl });
      const results = await replayStripeEvents(
        { sqs, fetchEvent: stripeEventFetcher(stripe) },
        { queueUrl, eventIds: command.eventIds, dryRun: command.dryRun },
      );
      print(results, () => formatReplayEvents(results));
      return results.some((r) => r.outcome === 'failed') ? 1 : 0;
    }
    case 'backfill':
    case 'reconcile':
    case 'retry': {
      const defaults = defaultDeps();
      return executeReconcileCommand(
        command,
        {
          env: deps.env,
          clock,
          stdout: deps.stdout,
          stderr: deps.stderr,
          progress: deps.progress ?? { write: (text) => deps.stderr(text.replace(/\n$/, '')), isTTY: false },
          onInterrupt: deps.onInterrupt ?? (defaults.onInterrupt as NonNullable<CliDeps['onInterrupt']>),
          local: aws.local,
          sqs,
          targets: aws.targets,
        },
        print,
      );
    }
  }
}

const nonBlank = (value: string | undefined): string | undefined => (value === undefined || value.trim() === '' ? undefined : value.trim());

function errorLines(err: unknown, debug: boolean): string[] {
  if (debug) {
    const lines: string[] = [];
    for (let current: unknown = err; current !== undefined; current = current instanceof Error ? current.cause : undefined) {
      lines.push(current instanceof Error ? (current.stack ?? `${current.name}: ${current.message}`) : String(current));
    }
    return lines;
  }
  const code = errorCode(err);
  const hint = code === 'CredentialsProviderError' ? ' (check --profile, AWS_PROFILE or your AWS credentials)' : '';
  return [`error: ${err instanceof UsageError ? '' : `${code}: `}${errorReason(err, 300)}${hint}`];
}

/** Runs one command; resolves to the exit status (never throws, never calls process.exit). */
export async function runCli(argv: readonly string[], overrides: Partial<CliDeps> = {}): Promise<number> {
  const deps = { ...defaultDeps(), ...overrides };
  try {
    const command = parseCommand(argv, deps.clock.now());
    if (command.name === 'help') {
      (command.exitCode === 0 ? deps.stdout : deps.stderr)(command.text);
      return command.exitCode;
    }
    const print: Printer = (result, human) => {
      if (command.common.json) deps.stdout(JSON.stringify(result, null, 2));
      else for (const line of human()) deps.stdout(line);
    };
    return await execute(command, deps, print);
  } catch (err) {
    const lines = errorLines(err, wantsDebug(argv));
    if (wantsJson(argv) && !wantsDebug(argv)) {
      deps.stdout(JSON.stringify({ error: { code: errorCode(err), message: errorReason(err, 300) } }));
    }
    for (const line of lines) deps.stderr(line);
    return err instanceof UsageError ? 2 : 1;
  }
}
