/**
 * How `npm run send-event` and the operator CLI's `--local` find a running `npm start`: the stack
 * writes its URL, webhook secret, queue URLs/ARNs, outbound function name and (embedded Stripe
 * only) Stripe API base and fake key to a small file in the OS temp directory, keyed by port,
 * readable by the current user only, and removes it when it stops. A real Stripe key is never
 * written there.
 */
import { readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalStackState {
  readonly url: string;
  readonly port: number;
  readonly webhookSecret: string | undefined;
  readonly pid: number;
  readonly queues?: {
    readonly inbound: { readonly url: string; readonly arn: string };
    readonly inboundDlq: { readonly url: string; readonly arn: string };
    readonly outboundDlq: { readonly url: string; readonly arn: string };
    /** The roll-up queue and its DLQ (absent in stacks started before they existed). */
    readonly rollups?: { readonly url: string; readonly arn: string };
    readonly rollupsDlq?: { readonly url: string; readonly arn: string };
  };
  readonly outboundFunctionName?: string;
  /** Only when Stripe is the embedded stand-in: its base URL and the fake key it accepts. */
  readonly embeddedStripe?: { readonly apiUrl: string; readonly secretKey: string };
  /** Only when Salesforce is the embedded stand-in: its URL and the fake client credentials it accepts. */
  readonly embeddedSalesforce?: { readonly url: string; readonly clientId: string; readonly clientSecret: string };
  /** The stack's DynamoDB (dynalite, fake credentials) and dedup table: backfill and drift read its guards. */
  readonly dynamo?: { readonly endpoint: string; readonly table: string };
}

const PREFIX = 'stripe-sf-bridge-local-';

export function stateFilePath(port: number, directory: string = tmpdir()): string {
  return join(directory, `${PREFIX}${port}.json`);
}

/** Whether the process that wrote a state file still runs (a crashed stack leaves its file). */
function alive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The running stacks' states: the one on `port` when given, else every live one in `directory`
 * (a user normally runs one; several means the caller must choose).
 */
export async function findRunningStacks(options: { readonly port?: number; readonly directory?: string } = {}): Promise<LocalStackState[]> {
  const directory = options.directory ?? tmpdir();
  if (options.port !== undefined) {
    const state = await readStateFile(stateFilePath(options.port, directory));
    return state === undefined ? [] : [state];
  }
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return [];
  }
  const states: LocalStackState[] = [];
  for (const name of names.filter((n) => n.startsWith(PREFIX) && n.endsWith('.json')).sort()) {
    const state = await readStateFile(join(directory, name)).catch(() => undefined);
    if (state !== undefined && alive(state.pid)) states.push(state);
  }
  return states;
}

export async function writeStateFile(path: string, state: LocalStackState): Promise<void> {
  await removeStateFile(path);
  // `wx` creates a new file (never follows a planted symlink); 0600 keeps the secret to this user.
  await writeFile(path, `${JSON.stringify(state)}\n`, { mode: 0o600, flag: 'wx' });
}

export async function readStateFile(path: string): Promise<LocalStackState | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<LocalStackState>;
  if (typeof parsed.url !== 'string' || typeof parsed.port !== 'number') return undefined;
  return {
    ...parsed,
    url: parsed.url,
    port: parsed.port,
    webhookSecret: typeof parsed.webhookSecret === 'string' ? parsed.webhookSecret : undefined,
    pid: typeof parsed.pid === 'number' ? parsed.pid : 0,
  };
}

export async function removeStateFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
