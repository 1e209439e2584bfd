/**
 * Builds the CDK app: settings from context, the bridge stack, and cdk-nag's AwsSolutions pack
 * as a policy-validation plugin, so `cdk synth` fails on any finding nobody has acknowledged.
 * `infra/app.ts` and the infra tests both start here, so the tests check what is deployed.
 */
import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackName } from '../src/stack-outputs.js';
import { BridgeStack } from './bridge-stack.js';
import { readBridgeSettings } from './context.js';

export interface BridgeApp {
  readonly app: App;
  readonly stack: BridgeStack;
}

export function createBridgeApp(props: AppProps = {}): BridgeApp {
  const app = new App(props);
  const settings = readBridgeSettings((key) => app.node.tryGetContext(key));
  const stack = new BridgeStack(app, stackName(settings.stage), {
    stackName: stackName(settings.stage),
    description: `Stripe-Salesforce bridge (${settings.stage}): Stripe webhooks to Salesforce, Salesforce payment requests to Stripe`,
    settings,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  return { app, stack };
}
