/**
 * Synthesizes the bridge app the way `cdk synth` does (context from cdk.json plus overrides, the
 * cdk-nag plugin registered) into a temporary cloud assembly, with placeholder code assets, as
 * `cdk synth --exclusively` does for stacks it does not bundle: bundling the five Lambdas through
 * the esbuild CLI is most of a synth's cost. The one test that reads a deployed bundle has
 * NodejsFunction bundle a single BridgeFunction on a stack of its own (`deployedBundle`).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { createBridgeApp } from '../../infra/bridge-app.js';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseAlarmDescription } from '../../infra/constructs/alarms.js';
import { BridgeFunction } from '../../infra/constructs/bridge-function.js';
import { BRIDGE_ENTRIES, REPO_ROOT, type BridgeEntryName } from '../../infra/bundling.js';
import type { BridgeStack } from '../../infra/bridge-stack.js';

export interface SynthesizedBridge {
  readonly app: App;
  readonly stack: BridgeStack;
  readonly template: Template;
  /** Raw template JSON. */
  readonly json: any;
  readonly assemblyDir: string;
  /** Removes the temporary cloud assembly. */
  dispose(): void;
}

export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')).context;
}

/** CDK's switch for the stacks whose assets are bundled (`cxapi.BUNDLING_STACKS`); none when empty. */
const BUNDLING_STACKS = 'aws:cdk:bundling-stacks';

/** App context for tests that synthesize a construct on its own and read no bundle. */
export const NO_BUNDLING: Record<string, unknown> = { [BUNDLING_STACKS]: [] };

/**
 * App props for tests that synthesize a construct on a stack of their own: no built-in
 * CloudFormation validation. Without cdk.json's `@aws-cdk/core:validateAgainstDefaultRules` (such
 * an app has no cdk.json context) it would only print warnings, and loading its engine costs
 * seconds of CPU once per test worker. The bridge stack, which holds every construct, is validated
 * with cdk.json's context by synthBridge, failing on any error as `cdk synth` does.
 */
export const CONSTRUCT_TEST_APP = { builtinCloudFormationValidation: false } as const;

export function synthBridge(context: Record<string, unknown> = {}): SynthesizedBridge {
  const outdir = mkdtempSync(join(tmpdir(), 'bridge-cdk-test-'));
  // Synthesizing runs the cdk-nag plugin, so unacknowledged findings throw here.
  const bridge = createBridgeApp({ outdir, context: { ...cdkJsonContext(), ...NO_BUNDLING, ...context } });
  const template = Template.fromStack(bridge.stack);
  const { app, stack } = bridge;
  return {
    app,
    stack,
    template,
    json: template.toJSON(),
    assemblyDir: outdir,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/**
 * CDK writes "Bundling asset <path>..." to stderr for every bundled function, whatever the log
 * level; in a test run that is noise between the results, so it is dropped (other output passes).
 */
function withoutBundlingBanner<T>(synthesize: () => T): T {
  const write = process.stderr.write;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === 'string' && chunk.startsWith('Bundling asset ')
      ? true
      : (write as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest)) as typeof process.stderr.write;
  try {
    return synthesize();
  } finally {
    process.stderr.write = write;
  }
}

/** Logical id of a construct's CloudFormation resource in its stack. */
export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  const child = construct.node.defaultChild;
  if (child === undefined) throw new Error('construct has no default CloudFormation resource');
  return stack.getLogicalId(child as Parameters<Stack['getLogicalId']>[0]);
}

export interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

/** Every statement of every inline policy attached to the role with this logical id. */
export function roleStatements(json: any, roleLogicalId: string): Statement[] {
  const out: Statement[] = [];
  for (const resource of Object.values<any>(json.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles: unknown[] = resource.Properties.Roles ?? [];
    if (!roles.some((r: any) => r?.Ref === roleLogicalId)) continue;
    out.push(...resource.Properties.PolicyDocument.Statement);
  }
  return out;
}

export function actionsOf(statements: readonly Statement[]): Set<string> {
  return new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
}

/** Resources of the statements that grant any action with this prefix (e.g. `secretsmanager:`). */
export function resourcesFor(statements: readonly Statement[], actionPrefix: string): unknown[] {
  return statements
    .filter((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).some((a) => a.startsWith(actionPrefix)))
    .flatMap((s) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]));
}

export interface DeployedBundle {
  /** `index.mjs` as NodejsFunction wrote it into the cloud assembly. */
  readonly code: string;
  /** The esbuild metafile NodejsFunction wrote next to it (lambdaBundling() asks for one). */
  readonly meta: { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
}

/**
 * The bundle `cdk synth` deploys for one entry point: a BridgeFunction (the construct every bridge
 * function is, test/infra/stack.test.ts checks) on a stack of its own, bundled by NodejsFunction
 * through the esbuild CLI, read back from the temporary cloud assembly.
 */
export function deployedBundle(name: BridgeEntryName): DeployedBundle {
  const outdir = mkdtempSync(join(tmpdir(), 'bridge-bundle-test-'));
  try {
    // Bundling runs while the function is constructed.
    const { stack, bridgeFunction } = withoutBundlingBanner(() => {
      const stack = new Stack(new App({ outdir, ...CONSTRUCT_TEST_APP }), 'DeployedBundle');
      const bridgeFunction = new BridgeFunction(stack, name, {
        entry: BRIDGE_ENTRIES[name],
        description: `${name} as deployed`,
        timeout: Duration.seconds(10),
        memorySize: 256,
        environment: {},
        logRetention: RetentionDays.ONE_WEEK,
      });
      return { stack, bridgeFunction };
    });
    const fn = Template.fromStack(stack).toJSON().Resources[logicalId(stack, bridgeFunction.function)];
    const dir = join(outdir, `asset.${(fn.Properties.Code.S3Key as string).replace(/\.zip$/, '')}`);
    return {
      code: readFileSync(join(dir, 'index.mjs'), 'utf8'),
      meta: JSON.parse(readFileSync(join(dir, 'index.meta.json'), 'utf8')),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export interface NagFinding {
  readonly rule: string;
  readonly path: string;
}

function findings(report: { violations: readonly { ruleName: string; violatingResources: readonly { constructPath?: string | undefined }[] }[] }): NagFinding[] {
  return report.violations.flatMap((v) => v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '?' })));
}

/** AwsSolutions findings nobody acknowledged (what would fail `cdk synth`). */
export function unacknowledgedFindings(app: App): NagFinding[] {
  return findings(new AwsSolutionsChecks().validateScope(app));
}

/** Every AwsSolutions finding, acknowledged or not. */
export function allFindings(app: App): NagFinding[] {
  const pack = new AwsSolutionsChecks();
  // Test-only: see through acknowledgements to check each one still matches a real finding.
  (pack as any).isAcknowledged = () => false;
  return findings(pack.validateScope(app));
}

export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

export function acknowledgements(app: App): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: construct.node.path, id: key.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return out;
}

/** The cdk-nag contract, checked on every configuration the tests synthesize. */
export function describeNagContract(app: () => App): void {
  describe('cdk-nag AwsSolutions', () => {
    it('leaves no unacknowledged finding', () => {
      expect(unacknowledgedFindings(app())).toEqual([]);
    });

    it('acknowledges only findings that exist, each by id with a real reason', () => {
      const acks = acknowledgements(app());
      expect(acks.length).toBeGreaterThan(0);
      const all = allFindings(app());
      for (const ack of acks) {
        expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+[0-9]+(\[.+\])?$/);
        expect(ack.reason.length).toBeGreaterThanOrEqual(60);
        const matched = all.filter((f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`)));
        expect(matched, `${ack.id} on ${ack.path} acknowledges nothing`).not.toEqual([]);
      }
    });
  });
}

/** docs/runbook.md holds the alarm table between these markers; a test renders it from the stack. */
export const ALARM_TABLE_START = '<!-- alarm-table:start (rendered from the stack by test/infra/stack.test.ts; do not edit by hand) -->';
export const ALARM_TABLE_END = '<!-- alarm-table:end -->';

/**
 * The runbook's alarm table: every alarm of the template, in the stack's order. `placeholders`
 * replace deployment-specific text (the partner event source of the test's fake org).
 */
export function renderAlarmTable(json: any, stackName: string, placeholders: Readonly<Record<string, string>> = {}): string {
  const cell = (text: string): string =>
    Object.entries(placeholders)
      .reduce((t, [value, placeholder]) => t.replaceAll(value, placeholder), text)
      .replaceAll('|', '\\|');
  const rows = Object.values<any>(json.Resources)
    .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
    .map((r) => parseAlarmDescription(stackName, r.Properties.AlarmName, r.Properties.AlarmDescription))
    .map((a) => `| [\`${a.id}\`](#${a.id.toLowerCase()}) | ${cell(a.meaning)} | \`${cell(a.firstCommand)}\` |`);
  return ['| Alarm | What it means | First command |', '|---|---|---|', ...rows].join('\n');
}
