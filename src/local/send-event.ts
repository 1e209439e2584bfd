/** `npm run send-event -- <type>`: see send.ts. */
import { runSendEvent } from './send.js';

process.exitCode = await runSendEvent(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
