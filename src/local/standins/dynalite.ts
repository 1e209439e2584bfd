/**
 * DynamoDB for tests: dynalite in process, spoken to over the real DynamoDB wire protocol, so
 * conditional writes really run.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
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
