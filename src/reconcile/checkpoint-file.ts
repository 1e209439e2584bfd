/**
 * The backfill's checkpoint and failure files on the operator's disk. The checkpoint is replaced
 * atomically (written next to it, then renamed), so a crash mid-write leaves the previous one.
 * Failures are appended as JSON lines: one per object, with its id and the reason.
 */
import { appendFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { BackfillCheckpoint, BackfillPorts, FailureEntry } from './backfill.js';

export function checkpointFile(path: string): BackfillPorts['checkpoints'] & { remove(): Promise<void> } {
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
      const parsed = JSON.parse(text) as BackfillCheckpoint;
      if (parsed.version !== 1) throw new Error(`${path} is not a backfill checkpoint this version can resume`);
      return parsed;
    },
    async save(checkpoint) {
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`, { mode: 0o600 });
      await rename(temporary, path);
    },
    async remove() {
      await rm(path, { force: true });
    },
  };
}

export function failureFile(path: string): BackfillPorts['failures'] & { clear(): Promise<void> } {
  const append = async (entries: readonly FailureEntry[]): Promise<void> => {
    await appendFile(path, entries.map((e) => `${JSON.stringify({ ...e, at: new Date().toISOString() })}\n`).join(''), { mode: 0o600 });
  };
  return Object.assign(append, {
    async clear() {
      await rm(path, { force: true });
    },
  });
}
