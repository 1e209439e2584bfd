/**
 * How `npm run send-event` finds the webhook secret a running `npm start` generated: the stack
 * writes its URL and secret to a small file in the OS temp directory, keyed by port, readable by
 * the current user only, and removes it when it stops.
 */
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalStackState {
  readonly url: string;
  readonly port: number;
  readonly webhookSecret: string | undefined;
  readonly pid: number;
}

export function stateFilePath(port: number, directory: string = tmpdir()): string {
  return join(directory, `stripe-sf-bridge-local-${port}.json`);
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
