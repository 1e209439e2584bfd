/** The dedup table's shape, for the local stack and tests (the CDK stack declares the same). */
import { CreateTableCommand, ResourceInUseException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const DEDUP_PARTITION_KEY = 'pk';
export const DEDUP_TTL_ATTRIBUTE = 'expiresAt';

export async function createDedupTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: DEDUP_PARTITION_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: DEDUP_PARTITION_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (err) {
    if (err instanceof ResourceInUseException) return;
    throw err;
  }
}
