/**
 * The command channel: one EventBridge event (a `Stripe_Command__e`, or the legacy
 * `Stripe_Payment_Request__e`) → claim its identity → refuse what must be refused (another org,
 * an unknown command, a record of the wrong type, a missing or malformed field, a requester
 * without the command's custom permission) → run the command's handler → log the outcome in
 * Stripe_Sync_Log__c → mark the event done.
 *
 * Refusals are outcomes, never retried, and reach the requester in the log before Stripe is
 * called. The claim, the commit and the release are the shared idempotency lifecycle
 * (dedup/run-once, the consumer's too): transient failures throw with the claim released (the
 * outbound queue retries with backoff, then its DLQ), and a commit that fails after the command
 * ran is a warning. A retry re-runs the handler: every Stripe POST carries a deterministic key and
 * the log is an upsert on the event identity.
 */
import { Idempotency, type RunOnceResult } from '../dedup/run-once.js';
import { errorCode, errorReason, isPermanent, TransientError } from '../errors.js';
import type { OutboundResult } from '../outbound/process-request.js';
import { sameOrg } from '../salesforce/org-profile.js';
import { COMMANDS } from './catalog.js';
import { parseCommandRequest, type CommandRequest } from './command-request.js';
import type { CommandDefinition, CommandPorts, CommandRecordType } from './command.js';
import { isUserId, type PermissionChecker } from './permissions.js';
import { RECORD_ID } from './record-types.js';
import { logOfResult, syncLogFields } from './sync-log.js';

export interface CommandResult extends OutboundResult {
  readonly command?: string | undefined;
  readonly sobject?: string | undefined;
}

export interface DispatcherPorts extends CommandPorts {
  readonly permissions: PermissionChecker;
}

/** The record type an id belongs to: by its fixed prefix, else by the org's prefix of the custom object. */
async function recordTypeOf(types: readonly CommandRecordType[], recordId: string, ports: DispatcherPorts): Promise<CommandRecordType | undefined> {
  for (const type of types) {
    const prefix = type.prefix ?? (await ports.service.records.keyPrefix(type.sobject));
    if (prefix !== undefined && recordId.startsWith(prefix)) return type;
  }
  return undefined;
}

/** The package's permission sets that grant each custom permission (for the refusal message). */
const GRANTED_BY: Readonly<Record<string, string>> = {
  Stripe_Request_Payment: 'Stripe Bridge Sales',
  Stripe_Manage_Billing: 'Stripe Bridge Support or Stripe Bridge Finance',
  Stripe_Issue_Refunds: 'Stripe Bridge Finance',
};

/** Salesforce error messages may quote field values; only our own and Stripe's reasons are logged. */
function loggableReason(err: unknown): string | undefined {
  return errorCode(err).startsWith('SALESFORCE_') ? undefined : errorReason(err, 300);
}

type Decision = { readonly kind: 'run'; readonly command: CommandDefinition; readonly sobject: string; readonly recordId: string } | { readonly kind: 'refuse'; readonly code: string; readonly reason: string };

const refuse = (code: string, reason: string): Decision => ({ kind: 'refuse', code, reason });

/** Everything the dispatcher checks before a handler runs; the permission query is the only call. */
async function decide(request: CommandRequest, ports: DispatcherPorts): Promise<Decision> {
  if (request.command === undefined) return refuse('COMMAND_MISSING', 'Command__c is blank');
  const command = COMMANDS.get(request.command);
  if (command === undefined) {
    return refuse('COMMAND_UNKNOWN', `Unknown command "${request.command}"; the bridge knows ${[...COMMANDS.keys()].join(', ')}`);
  }
  if (request.recordId === undefined) return refuse('RECORD_ID_MISSING', `Record_Id__c is blank; ${command.name} needs the record to act on`);
  if (!RECORD_ID.test(request.recordId)) return refuse('RECORD_ID_INVALID', 'Record_Id__c is not a Salesforce record id');
  const recordId = request.recordId;
  const type = await recordTypeOf(command.recordTypes, recordId, ports);
  if (type === undefined) {
    return refuse(
      'RECORD_TYPE_UNSUPPORTED',
      `${command.name} works on ${command.recordTypes.map((t) => (t.prefix === undefined ? t.sobject : `${t.sobject} (${t.prefix}…)`)).join(', ')}; ${recordId} is a record with key prefix ${recordId.slice(0, 3)}`,
    );
  }
  if (request.optionsError !== undefined) return refuse('OPTIONS_INVALID', request.optionsError);
  const extra = command.permissionFor?.(request);
  for (const permission of [command.permission, extra === command.permission ? undefined : extra]) {
    if (permission === undefined) continue;
    if (!isUserId(request.requestedBy)) {
      return refuse('REQUESTER_MISSING', `Requested_By__c must name the requesting user (the Flow sets $User.Id); ${command.name} requires the custom permission ${permission}`);
    }
    if (!(await ports.permissions.holds(request.requestedBy, permission))) {
      const asked = permission === command.permission ? command.name : `${command.name} with these options`;
      return refuse(
        'PERMISSION_MISSING',
        `User ${request.requestedBy} does not have the custom permission ${permission} that ${asked} requires (permission set ${GRANTED_BY[permission] ?? 'that grants it'}, or one your admin grants it with)`,
      );
    }
  }
  return { kind: 'run', command, sobject: type.sobject, recordId };
}

async function execute(request: CommandRequest, ports: DispatcherPorts): Promise<CommandResult> {
  const base = { eventId: request.eventId, recordId: request.recordId ?? '', command: request.command };
  const writeLog = async (entry: Omit<Parameters<typeof syncLogFields>[0], 'request' | 'completedAt'>): Promise<void> => {
    await ports.records.upsertSyncLog(syncLogFields({ ...entry, request, completedAt: ports.now() }));
  };

  // Known once per cold start: which org this deployment serves.
  const org = await ports.records.orgProfile();
  if (request.sourceOrgId !== undefined && !sameOrg(request.sourceOrgId, org.organizationId)) {
    // Another org's event (a misrouted relay, or a sandbox's relay pointed at production's bus):
    // its ids mean nothing here and nothing is written, not even a log. Not retried.
    ports.logger.error({ eventId: request.eventId, sourceOrgId: request.sourceOrgId, organizationId: org.organizationId }, 'command from another Salesforce org refused');
    return { ...base, outcome: 'rejected', code: 'FOREIGN_ORG', reason: `The event comes from org ${request.sourceOrgId}; this deployment serves ${org.organizationId}` };
  }

  const decision = await decide(request, ports);
  if (decision.kind === 'refuse') {
    await writeLog({ status: 'Failed', message: `${decision.reason} [${decision.code}]` });
    return { ...base, outcome: 'rejected', code: decision.code, reason: decision.reason };
  }

  let result: OutboundResult;
  try {
    result = await decision.command.run({ request, recordId: decision.recordId, sobject: decision.sobject }, ports);
  } catch (err) {
    if (!isPermanent(err)) throw err;
    // A permanent problem the handler could not write on the record (it does not exist, or
    // Salesforce refused the write-back): the requester still learns it from the log.
    await writeLog({ status: 'Failed', message: `${errorReason(err)} [${errorCode(err)}]` });
    if (errorCode(err) === 'RECORD_NOT_FOUND') return { ...base, sobject: decision.sobject, outcome: 'rejected', code: errorCode(err), reason: errorReason(err) };
    throw err;
  }
  await writeLog(logOfResult(result));
  return { ...result, command: decision.command.name, sobject: decision.sobject };
}

export async function dispatchCommand(event: unknown, ports: DispatcherPorts): Promise<CommandResult> {
  const started = ports.now();
  const callsBefore = ports.records.apiCalls;
  const log = (fields: Record<string, unknown>, level: 'info' | 'warn' | 'error' = 'info'): void => {
    ports.logger[level]({ ...fields, durationMs: ports.now() - started }, 'command');
  };

  let request: CommandRequest;
  try {
    request = parseCommandRequest(event);
  } catch (err) {
    log({ outcome: 'rejected', code: errorCode(err), reason: errorReason(err, 300) }, 'error');
    throw err;
  }
  const ids = { eventId: request.eventId, command: request.command, recordId: request.recordId, detailType: request.detailType };

  const lifecycle = new Idempotency(ports.store, ports.logger);
  let run: RunOnceResult<CommandResult>;
  try {
    run = await lifecycle.runOnce(request.eventId, request.detailType, async () => {
      const value = await execute(request, ports);
      return { value, outcome: value.outcome };
    });
  } catch (err) {
    // The claim was given back, so the retry (the queue's, or a DLQ replay) can run at once.
    const permanent = isPermanent(err);
    log({ ...ids, outcome: permanent ? 'rejected' : 'retry', code: errorCode(err), reason: loggableReason(err), deadLetter: permanent }, permanent ? 'error' : 'warn');
    throw err;
  }
  if (run.status === 'duplicate') {
    log({ ...ids, outcome: 'duplicate', previousOutcome: run.outcome });
    return { outcome: 'duplicate', eventId: request.eventId, recordId: request.recordId ?? '', command: request.command };
  }
  if (run.status === 'in_progress') {
    // Another attempt holds the lease (or crashed holding it): retry after it ends or expires.
    log({ ...ids, outcome: 'retry', code: 'EVENT_IN_PROGRESS' }, 'warn');
    throw new TransientError(`Command ${request.eventId} is being processed by another attempt`, {
      code: 'EVENT_IN_PROGRESS',
      details: { leaseExpiresAt: run.leaseExpiresAt },
    });
  }
  const result = run.value;
  log({
    ...ids,
    sobject: result.sobject,
    mode: result.mode,
    outcome: result.outcome,
    customerId: result.customerId,
    invoiceId: result.invoiceId,
    paymentLinkId: result.paymentLinkId,
    checkoutSessionId: result.checkoutSessionId,
    subscriptionId: result.subscriptionId,
    stripeObjectId: result.stripeObjectId,
    resumedInvoiceStatus: result.resumedInvoiceStatus,
    code: result.code,
    reason: result.reason,
    salesforceApiCalls: ports.records.apiCalls - callsBefore,
  });
  return result;
}
