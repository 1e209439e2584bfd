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

export interface DynaliteOptions {
  /**
   * Sign requests with SigV4 as the SDK does against AWS (default false). dynalite checks that
   * the Authorization header has SigV4's shape, never the signature itself, so by default every
   * request carries one fixed, well-formed header instead: computing signatures was an eighth of
   * the CPU of the tests that send a thousand requests (test/consumer/outage.test.ts). The bench
   * signs, to measure what the functions spend in Lambda.
   */
  readonly signRequests?: boolean;
}

const REGION = 'us-east-1';
const FAKE_DATE = '20260101T000000Z';

/** A SigV4-shaped Authorization header and its date, the same on every request. */
const unsignedRequests: DynamoDBClientConfig['httpAuthSchemes'] = [
  {
    schemeId: 'aws.auth#sigv4',
    identityProvider: (config) => config.getIdentityProvider('aws.auth#sigv4'),
    signer: {
      sign: async (request) => {
        request.headers['x-amz-date'] = FAKE_DATE;
        request.headers['authorization'] =
          `AWS4-HMAC-SHA256 Credential=AKIDFAKE/${FAKE_DATE.slice(0, 8)}/${REGION}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;
        return request;
      },
    },
  },
];

export async function startDynalite(tableName = 'dedup-test', options: DynaliteOptions = {}): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
    maxAttempts: 1,
    ...(options.signRequests === true ? {} : { httpAuthSchemes: unsignedRequests }),
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
