/** Fixture for stack-traces.test.ts, bundled like a handler: stack-traces first. */
import '../../src/stack-traces.js';
import { chargeTwice } from './amount.js';

/** The stack of the error `chargeTwice` throws. */
export async function failingStack(): Promise<string> {
  try {
    await chargeTwice('abc');
  } catch (err) {
    return (err as Error).stack ?? '';
  }
  return '';
}
