/** CloudFormation output keys of the bridge stack: written by infra/, read by the ops CLI. */
export const STACK_OUTPUT = {
  webhookUrl: 'WebhookUrl',
  inboundQueueUrl: 'InboundQueueUrl',
  inboundQueueArn: 'InboundQueueArn',
  inboundDlqUrl: 'InboundDlqUrl',
  inboundDlqArn: 'InboundDlqArn',
  rollupQueueUrl: 'RollupQueueUrl',
  rollupQueueArn: 'RollupQueueArn',
  rollupDlqUrl: 'RollupDlqUrl',
  rollupDlqArn: 'RollupDlqArn',
  outboundQueueUrl: 'OutboundQueueUrl',
  outboundQueueArn: 'OutboundQueueArn',
  outboundDlqUrl: 'OutboundDlqUrl',
  outboundDlqArn: 'OutboundDlqArn',
  outboundFunctionName: 'OutboundFunctionName',
  dedupTableName: 'DedupTableName',
  stripeWebhookSecretArn: 'StripeWebhookSecretArn',
  stripeApiKeySecretArn: 'StripeApiKeySecretArn',
  stripeReadKeySecretArn: 'StripeReadKeySecretArn',
  salesforceCredentialsSecretArn: 'SalesforceCredentialsSecretArn',
  eventRelaySetup: 'SalesforceEventRelaySetup',
  alarmTopicArn: 'AlarmTopicArn',
} as const;

/** Default stack name (`cdk deploy` creates `StripeSalesforceBridge-<stage>`). */
export function stackName(stage: string): string {
  return `StripeSalesforceBridge-${stage}`;
}
