/**
 * `npm start`: the local stack on PORT (default 8787). A bad variable prints its message and
 * exits 1; Ctrl-C (or SIGTERM) stops polling, closes the servers and exits 0.
 */
import { ConfigError } from '../errors.js';
import { renderBanner } from './banner.js';
import { startLocalStack, type LocalStack } from './stack.js';
import { removeStateFile, stateFilePath, stateOf, writeStateFile } from './state-file.js';

async function main(): Promise<void> {
  let stack: LocalStack;
  try {
    // PORT is validated with every other variable, so all errors are reported at once.
    stack = await startLocalStack({ env: process.env });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`\n${err.message}\n\nThe local stack did not start. See docs/local.md for every variable.\n`);
    process.exit(1);
  }

  const stateFile = stateFilePath(stack.port);
  await writeStateFile(stateFile, stateOf(stack, process.pid));
  process.stdout.write(renderBanner(stack));

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`\n${signal} again: exiting without waiting.\n`);
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n${signal}: stopping the local stack…\n`);
    Promise.all([stack.close(), removeStateFile(stateFile)]).then(
      () => {
        process.stderr.write('Stopped.\n');
        process.exit(0);
      },
      (err: unknown) => {
        process.stderr.write(`Could not stop cleanly: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
