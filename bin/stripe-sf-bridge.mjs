#!/usr/bin/env node
// Runs the TypeScript CLI straight from a clone: tsx compiles it on the fly, no build step.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import(new URL('../src/ops/cli.ts', import.meta.url).href);
process.exitCode = await runCli(process.argv.slice(2));
