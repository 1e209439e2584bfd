/**
 * The Salesforce adapters as the Lambda bundles carry them, for test/salesforce/bundled-jsforce.test.ts:
 * bundled with the shared esbuild options, so jsforce runs over src/salesforce/jsforce-bundle/.
 */
export { createSalesforceSession, withSession } from '../../src/salesforce/session.js';
export { SalesforceWriter } from '../../src/salesforce/writer.js';
export { salesforceOpportunityRecords } from '../../src/outbound/salesforce-records.js';
