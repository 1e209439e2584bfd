/**
 * The DynamoDB table behind "exactly one effect per Stripe event": event claims (leases), done
 * markers and per-object ordering watermarks, all keyed by `pk` and expiring through `expiresAt`.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Key and TTL attribute names; the dedup store in src/ uses the same names. */
export const DEDUP_KEY = { partitionKey: 'pk', ttlAttribute: 'expiresAt' } as const;

/**
 * Single-item reads and conditional writes (claim, release, billing records), batched reads and
 * unconditional batched puts (completed markers, the Case ledger). These
 * also cover TransactWriteItems, which IAM authorizes per contained action. No Scan or Query.
 */
export const DEDUP_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:ConditionCheckItem',
  // The consumer reads the billing records of a whole batch at once (src/billing/store.ts) and
  // the Cases and payments of a batch (src/dedup/case-ledger.ts).
  'dynamodb:BatchGetItem',
  // Completed markers are committed in batches (src/dedup/event-store.ts), payments recorded
  // likewise (case-ledger.ts): without it every commit is refused and only logged as a warning.
  'dynamodb:BatchWriteItem',
] as const;

export class DedupTable extends Construct {
  public readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: DEDUP_KEY.partitionKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: DEDUP_KEY.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      // Losing the markers would let a Stripe retry or a DLQ replay apply an event twice: retained
      // by `cdk destroy` and protected from a stray delete-table (docs/deployment.md: removing it).
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
  }

  /** Grants exactly {@link DEDUP_ACTIONS} on the table. */
  grantDedup(grantee: IGrantable): void {
    this.table.grant(grantee, ...DEDUP_ACTIONS);
  }
}
