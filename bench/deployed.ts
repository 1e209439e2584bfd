/**
 * The Lambda functions as `cdk deploy` would ship them: synthesizes the bridge app with the
 * cdk.json context (real bundling) and reads, for each function of the template, its bundle, its
 * memory size and its environment, NODE_OPTIONS included. CloudFormation references in the
 * environment become plausible values (a queue URL, an ARN), as Lambda would see them resolved.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnResource, type Stack } from 'aws-cdk-lib';
import { createBridgeApp } from '../infra/bridge-app.js';
import { REPO_ROOT } from '../infra/bundling.js';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export interface DeployedFunction {
  /** Short name from the construct path (`ingress`, `consumer`, `outbound`, …). */
  readonly name: string;
  readonly logicalId: string;
  /** The directory holding `index.mjs`, its `.map` and `index.meta.json`. */
  readonly bundleDir: string;
  readonly memoryMb: number;
  readonly architecture: string;
  /** The function's environment as Lambda would set it (references resolved to fake values). */
  readonly environment: Readonly<Record<string, string>>;
}

export interface DeployedStack {
  readonly functions: readonly DeployedFunction[];
  /** The synthesized template (for resource counts). */
  readonly template: { Resources: Record<string, TemplateResource> };
  /** The context the stack was synthesized with (cdk.json). */
  readonly context: Readonly<Record<string, unknown>>;
  dispose(): void;
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

type Intrinsic = string | number | boolean | { [key: string]: unknown } | unknown[];

/** A resolved value for a reference to `logicalId`, shaped like what CloudFormation returns. */
function refValue(resources: Record<string, TemplateResource>, logicalId: string): string {
  if (logicalId === 'AWS::Region') return REGION;
  if (logicalId === 'AWS::AccountId') return ACCOUNT;
  if (logicalId === 'AWS::Partition') return 'aws';
  if (logicalId === 'AWS::URLSuffix') return 'amazonaws.com';
  const type = resources[logicalId]?.Type;
  switch (type) {
    case 'AWS::SQS::Queue':
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${logicalId}`;
    case 'AWS::SecretsManager::Secret':
      return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${logicalId}-AbCdEf`;
    default:
      return logicalId;
  }
}

function resolve(resources: Record<string, TemplateResource>, value: Intrinsic): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => resolve(resources, v as Intrinsic)).join(',');
  const [fn, args] = Object.entries(value)[0] ?? [];
  if (fn === 'Ref') return refValue(resources, String(args));
  if (fn === 'Fn::GetAtt') {
    const [id, attribute] = args as [string, string];
    const service = (resources[id]?.Type ?? 'AWS::Unknown::X').split('::')[1]?.toLowerCase() ?? 'unknown';
    return attribute === 'Arn' ? `arn:aws:${service}:${REGION}:${ACCOUNT}:${id}` : `${id}.${attribute}`;
  }
  if (fn === 'Fn::Join') {
    const [separator, parts] = args as [string, Intrinsic[]];
    return parts.map((p) => resolve(resources, p)).join(separator);
  }
  if (fn === 'Fn::Select' || fn === 'Fn::Split' || fn === 'Fn::Sub') return `resolved-${fn.slice(4).toLowerCase()}`;
  return JSON.stringify(value);
}

/** Construct paths of the stack's Lambda functions by logical id (e.g. `Ingress/Handler/Function/Resource`). */
function functionPaths(stack: Stack): Map<string, string> {
  const paths = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    if (construct instanceof CfnResource && construct.cfnResourceType === 'AWS::Lambda::Function') {
      paths.set(stack.getLogicalId(construct), construct.node.path);
    }
  }
  return paths;
}

/** `Ingress/Handler/Function/Resource` → `ingress`; `Inbound/Consumer/Function/Resource` → `consumer`. */
function functionName(path: string | undefined, logicalId: string): string {
  const meaningful = (path ?? logicalId).split('/').slice(1).filter((part) => !['Function', 'Resource', 'Handler'].includes(part));
  return (meaningful.at(-1) ?? logicalId).toLowerCase();
}

/** Synthesizes the default deployment (cdk.json context) with real bundling into a temporary directory. */
export function synthesizeDeployed(overrides: Record<string, unknown> = {}): DeployedStack {
  const outdir = mkdtempSync(join(tmpdir(), 'bridge-bench-cdk-'));
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const context = { ...cdkJson.context, ...overrides };
  const { app, stack } = createBridgeApp({ outdir, context });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as DeployedStack['template'];
  const paths = functionPaths(stack);
  const functions: DeployedFunction[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const props = resource.Properties ?? {};
    const s3Key = (props.Code as { S3Key?: unknown } | undefined)?.S3Key;
    // Only bundled functions: the asset directory next to the template holds index.mjs.
    const bundleDir = typeof s3Key === 'string' ? join(outdir, `asset.${s3Key.replace(/\.zip$/, '')}`) : '';
    if (bundleDir === '' || !existsSync(join(bundleDir, 'index.mjs'))) continue;
    const variables = ((props.Environment as { Variables?: Record<string, Intrinsic> } | undefined)?.Variables ?? {}) as Record<string, Intrinsic>;
    functions.push({
      name: functionName(paths.get(logicalId), logicalId),
      logicalId,
      bundleDir,
      memoryMb: Number(props.MemorySize ?? 128),
      architecture: ((props.Architectures as string[] | undefined) ?? ['x86_64'])[0] ?? 'x86_64',
      environment: Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, resolve(template.Resources, value)])),
    });
  }
  return { functions, template, context, dispose: () => rmSync(outdir, { recursive: true, force: true }) };
}

/** The variables the Lambda runtime itself sets, next to the function's own environment. */
export function lambdaRuntimeEnvironment(fn: DeployedFunction): Record<string, string> {
  return {
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'AKIDBENCHFAKE',
    AWS_SECRET_ACCESS_KEY: 'bench-fake-secret',
    AWS_SESSION_TOKEN: 'bench-fake-token',
    AWS_LAMBDA_FUNCTION_NAME: `bench-${fn.name}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    LAMBDA_TASK_ROOT: fn.bundleDir,
    TZ: ':UTC',
  };
}
