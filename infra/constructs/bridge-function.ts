/**
 * Every bridge Lambda is built here, so the secure defaults live in one place: Node.js 24 on
 * arm64, bundled and minified with a source map next to the bundle (infra/bundling.ts), X-Ray
 * tracing as the stack's `tracing` setting says, its own log group with retention, and a role that
 * starts with nothing but writing to that log group. No `--enable-source-maps`: it decodes the
 * whole map at every cold start, where src/stack-traces.ts maps a stack only when one is printed.
 */
import { join } from 'node:path';
import type { Duration} from 'aws-cdk-lib';
import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { lambdaBundling, REPO_ROOT } from '../bundling.js';

export interface BridgeFunctionProps {
  /** Entry file, relative to the repository root (see BRIDGE_ENTRIES). */
  readonly entry: string;
  /**
   * The function's role in the bridge (`ingress`, `consumer`, …): its log group is then named
   * `/<stack name>/<role>`, so the runbook's and the alarms' commands can name it.
   */
  readonly role?: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention: RetentionDays;
  /** Caps this function's share of the account's concurrency; unset leaves it uncapped. */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * Construct context key the stack sets from its `tracing` setting (every function of the stack
 * follows it): `active` samples with Lambda's fixed rule (the first request each second and 5 %
 * of the rest; Lambda does not apply X-Ray sampling rules), `passThrough` traces only requests an
 * upstream service sampled, `disabled` (the default) records nothing and grants no X-Ray access.
 */
export const TRACING_CONTEXT = 'stripeSalesforceBridge:tracing';

export type TracingSetting = 'active' | 'passThrough' | 'disabled';

const TRACING: Record<TracingSetting, Tracing> = {
  active: Tracing.ACTIVE,
  passThrough: Tracing.PASS_THROUGH,
  disabled: Tracing.DISABLED,
};

/** The log group of a bridge function with a role: `/StripeSalesforceBridge-prod/consumer`. */
export function functionLogGroupName(stackName: string, role: string): string {
  return `/${stackName}/${role}`;
}

export class BridgeFunction extends Construct {
  /** Entry file, relative to the repository root: what `function` bundles with lambdaBundling(). */
  public readonly entry: string;
  public readonly function: NodejsFunction;
  public readonly logGroup: LogGroup;
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: BridgeFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    const tracing = (this.node.tryGetContext(TRACING_CONTEXT) as TracingSetting | undefined) ?? 'disabled';

    // Logs outlive the stack (they expire by retention); an audit after `cdk destroy` needs them.
    this.logGroup = new LogGroup(this, 'Logs', {
      ...(props.role === undefined ? {} : { logGroupName: functionLogGroupName(Stack.of(this).stackName, props.role) }),
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: log writes to this group only.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (execution role)`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize: props.memorySize,
      role: this.role,
      logGroup: this.logGroup,
      tracing: TRACING[tracing],
      bundling: lambdaBundling(),
      environment: { ...props.environment },
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
    });

    if (tracing !== 'disabled') {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the X-Ray statement (xray:PutTraceSegments, xray:PutTelemetryRecords) uses Resource "*": ' +
          'X-Ray does not support resource-level permissions for these actions.',
      });
    }
  }
}

