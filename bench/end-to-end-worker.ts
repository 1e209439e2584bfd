/**
 * The world outside the bridge for bench/end-to-end.ts, in a worker thread so that it does not
 * take the local stack's event loop: Stripe (signs and POSTs the webhooks) and Salesforce (the
 * stand-in, 20 ms per call). The local stack then runs what the bridge runs: ingress, queue,
 * consumers, the dedup table.
 */
import { createHmac } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { SAMPLE_CUSTOMER_ID } from '../src/local/sample-events.js';
import { startSalesforceStandIn } from '../src/local/standins/salesforce-standin.js';

export type WorkerRequest =
  | { readonly op: 'seed'; readonly opportunities: number }
  | { readonly op: 'send'; readonly url: string; readonly secret: string; readonly payloads: readonly string[]; readonly senders: number; readonly perSecond: number }
  | { readonly op: 'apiCalls' }
  | { readonly op: 'close' };

export interface WorkerData {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly latencyMs: number;
}

const data = workerData as WorkerData;
const salesforce = await startSalesforceStandIn({ clientId: data.clientId, clientSecret: data.clientSecret, latencyMs: data.latencyMs });
const now = (): number => performance.timeOrigin + performance.now();

/** Signs as Stripe does (HMAC-SHA256 of `t.payload`) and POSTs; returns when it was sent and the status. */
async function post(url: string, secret: string, payload: string): Promise<{ sentAt: number; status: number }> {
  const t = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', secret).update(`${t}.${payload}`).digest('hex');
  const sentAt = now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${signature}` },
    body: payload,
  });
  await response.arrayBuffer();
  return { sentAt, status: response.status };
}

async function send(request: Extract<WorkerRequest, { op: 'send' }>): Promise<{ sentAt: number[]; rejected: number }> {
  const sentAt: number[] = new Array<number>(request.payloads.length).fill(Number.NaN);
  let rejected = 0;
  const one = async (i: number): Promise<void> => {
    const result = await post(request.url, request.secret, request.payloads[i] ?? '');
    sentAt[i] = result.sentAt;
    if (result.status !== 200) rejected += 1;
  };
  const start = performance.now();
  if (request.perSecond > 0) {
    await Promise.all(
      request.payloads.map(async (_, i) => {
        const wait = start + (i * 1000) / request.perSecond - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        await one(i);
      }),
    );
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: request.senders }, async () => {
        for (let i = next++; i < request.payloads.length; i = next++) await one(i);
      }),
    );
  }
  return { sentAt, rejected };
}

parentPort?.on('message', (request: WorkerRequest) => {
  void (async () => {
    switch (request.op) {
      case 'seed': {
        // The sample events' customer: records link to the Account through it, as in the local stack's seed.
        const accountId = salesforce.insert('Account', { Name: 'E2E Account', Stripe_Customer_Id__c: SAMPLE_CUSTOMER_ID });
        const opportunityIds = Array.from({ length: request.opportunities }, (_, i) =>
          salesforce.insert('Opportunity', { Name: `E2E deal ${i}`, StageName: 'Closed Won', Amount: 49.99, AccountId: accountId }),
        );
        parentPort?.postMessage({ opportunityIds });
        break;
      }
      case 'send':
        parentPort?.postMessage(await send(request));
        break;
      case 'apiCalls':
        parentPort?.postMessage({ apiCalls: salesforce.apiCalls });
        break;
      case 'close':
        await salesforce.close();
        parentPort?.postMessage({ closed: true });
        break;
    }
  })();
});

parentPort?.postMessage({ url: salesforce.url });
