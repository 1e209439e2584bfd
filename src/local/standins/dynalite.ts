/**
 * DynamoDB for tests: dynalite in process, spoken to over the real DynamoDB wire protocol, so
 * conditional writes really run.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { AddressInfo } from 'node:net';
import { createDedupTable } from '../../dedup/table.js';

export interface LocalDynamo {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  readonly tableName: string;
  /** DynamoDB requests sent through `client` so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/**
 * dynalite requires a SigV4 Authorization header of the right shape (Credential, SignedHeaders,
 * Signature, and an X-Amz-Date) and never checks the signature itself, so the client sends a fixed
 * one instead of signing each request (hashing the body, an HMAC chain): a few percent of the CPU
 * of a test that talks to DynamoDB, for nothing dynalite looks at.
 */
const unsignedSigV4: NonNullable<DynamoDBClientConfig['httpAuthSchemes']>[number] = {
  schemeId: 'aws.auth#sigv4',
  identityProvider: (config) => config.getIdentityProvider('aws.auth#sigv4'),
  signer: {
    async sign(request) {
      const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, '');
      const { headers } = request as { headers: Record<string, string> };
      headers['x-amz-date'] = amzDate;
      headers['authorization'] = `AWS4-HMAC-SHA256 Credential=AKIDFAKE/${amzDate.slice(0, 8)}/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
      return request;
    },
  },
};

export async function startDynalite(tableName = 'dedup-test'): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
    maxAttempts: 1,
    httpAuthSchemes: [unsignedSigV4],
  });
  let requests = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      requests += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' },
  );
  await createDedupTable(client, tableName);
  return {
    client,
    endpoint,
    tableName,
    get requests() {
      return requests;
    },
    async close() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((err?: Error) => (err ? reject(err) : resolve())));
    },
  };
}
