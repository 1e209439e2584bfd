/**
 * The bridge's four secrets. Each is either created empty (the operator fills it with
 * `aws secretsmanager put-secret-value`) or imported by its complete ARN; no value ever appears
 * in the template. Functions get read access one secret at a time, in the stack. Created secrets
 * are retained by `cdk destroy`: a redeploy must not lose the credentials the bridge runs on
 * (deleting them on purpose: docs/deployment.md).
 */
import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Secret, type CfnSecret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface BridgeSecretsProps {
  readonly stage: string;
  /** Import instead of create: complete ARNs (with the 6-character suffix). */
  readonly stripeWebhookSecretArn?: string | undefined;
  readonly stripeApiKeySecretArn?: string | undefined;
  readonly stripeReadKeySecretArn?: string | undefined;
  readonly salesforceCredentialsSecretArn?: string | undefined;
}

/**
 * What the read-only key needs (a restricted key, rk_…): Read on Events (the consumer fetches
 * events too large for SQS, the reconciler lists events), Charges (a dispute's charge) and
 * Invoices (an invoice's payments); None on everything else.
 */
export const STRIPE_READ_KEY_PERMISSIONS = ['Events: Read', 'Charges: Read', 'Invoices: Read'] as const;

/** Why these secrets have no rotation schedule (AwsSolutions-SMG4). */
const ROTATION_REASON =
  'The values are issued by Stripe and Salesforce, not generated in AWS: a Stripe key or webhook secret is ' +
  'rolled in the Stripe Dashboard and a Salesforce credential in the connected app, then written here with ' +
  'put-secret-value (docs/deployment.md). The bridge re-reads a secret after an authentication failure.';

export class BridgeSecrets extends Construct {
  /** Plain string: one or more `whsec_…`, comma-separated during rotation. */
  public readonly stripeWebhookSecret: ISecret;
  /** Plain string: the Stripe key that bills (a restricted key with the outbound flow's writes). */
  public readonly stripeApiKey: ISecret;
  /**
   * Plain string: a read-only restricted key for the consumer and the reconciler, which only
   * read, so a leak from them cannot create invoices or refunds.
   */
  public readonly stripeReadKey: ISecret;
  /** JSON object: SALESFORCE_CLIENT_ID, SALESFORCE_CLIENT_SECRET, SALESFORCE_USERNAME, SALESFORCE_PRIVATE_KEY. */
  public readonly salesforceCredentials: ISecret;

  constructor(scope: Construct, id: string, props: BridgeSecretsProps) {
    super(scope, id);
    this.stripeWebhookSecret = this.secret(
      'StripeWebhookSecret',
      props.stripeWebhookSecretArn,
      `Stripe webhook signing secret(s) for the ${props.stage} bridge: whsec_… (comma-separated while rotating)`,
    );
    this.stripeApiKey = this.secret(
      'StripeApiKey',
      props.stripeApiKeySecretArn,
      `Stripe API key for the ${props.stage} bridge's outbound billing (a restricted key is enough)`,
    );
    this.stripeReadKey = this.secret(
      'StripeReadKey',
      props.stripeReadKeySecretArn,
      `Read-only Stripe restricted key (rk_…) for the ${props.stage} bridge's consumer and reconciler: ${STRIPE_READ_KEY_PERMISSIONS.join(', ')}`,
    );
    this.salesforceCredentials = this.secret(
      'SalesforceCredentials',
      props.salesforceCredentialsSecretArn,
      `Salesforce OAuth credentials for the ${props.stage} bridge: JSON with SALESFORCE_CLIENT_ID, ` +
        'SALESFORCE_CLIENT_SECRET or SALESFORCE_USERNAME + SALESFORCE_PRIVATE_KEY',
    );
  }

  private secret(id: string, importArn: string | undefined, description: string): ISecret {
    if (importArn !== undefined) return Secret.fromSecretCompleteArn(this, id, importArn);
    const secret = new Secret(this, id, { description, removalPolicy: RemovalPolicy.RETAIN });
    // The L2 always asks CloudFormation to generate a random value; a random string is no valid
    // Stripe or Salesforce credential, so create the secret without any value instead.
    (secret.node.defaultChild as CfnSecret).addPropertyDeletionOverride('GenerateSecretString');
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: ROTATION_REASON });
    return secret;
  }
}
