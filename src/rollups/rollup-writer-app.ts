/**
 * Wires the roll-up writer's core to Salesforce. The Lambda handler calls it once per cold start;
 * the local stack and the bench call it with their own session.
 */
import type { RollupWriterConfig } from '../config.js';
import type { Logger } from '../logging.js';
import { createSalesforceSession, type SalesforceSession } from '../salesforce/session.js';
import { SalesforceWriter } from '../salesforce/writer.js';
import { writeRollups, type RollupRecord, type RollupWriteSummary } from './rollup-writer.js';

export interface RollupWriterAppDeps {
  readonly config: RollupWriterConfig;
  readonly logger: Logger;
  readonly salesforceSession?: SalesforceSession;
  readonly now?: () => number;
}

export interface RollupWriterApp {
  handle(records: readonly RollupRecord[]): Promise<RollupWriteSummary>;
}

export function createRollupWriterApp(deps: RollupWriterAppDeps): RollupWriterApp {
  const { config, logger } = deps;
  const session = deps.salesforceSession ?? createSalesforceSession(config.salesforce, { logger });
  const writer = new SalesforceWriter(session, { apiVersion: config.salesforce.apiVersion, logger });
  const now = deps.now ?? Date.now;
  return { handle: (records) => writeRollups(records, { writer, logger, now }) };
}
