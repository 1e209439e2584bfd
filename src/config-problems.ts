/**
 * What every configuration section shares without a schema library: the environment's type, the
 * log levels, and the one error that names every offending variable. Kept free of zod so that the
 * ingress, which validates its few variables by hand (src/ingress/config.ts), loads none of it.
 */
import { ConfigError } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** A variable and what is wrong with it. */
export type ConfigProblem = readonly [variable: string, message: string];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One error for a whole section: each variable once, with all its messages, in the order found. */
export function invalidConfiguration(section: string, problems: readonly ConfigProblem[]): ConfigError {
  const byVariable = new Map<string, string[]>();
  for (const [name, message] of problems) byVariable.set(name, [...(byVariable.get(name) ?? []), message]);
  const lines = [...byVariable].map(([name, messages]) => `  ${name}: ${messages.join('; ')}`);
  return new ConfigError(
    `Invalid ${section} configuration (${byVariable.size} variable${byVariable.size === 1 ? '' : 's'}):\n${lines.join('\n')}`,
    [...byVariable.keys()],
  );
}
