/**
 * What a command declares, so the dispatcher can refuse what it must before anything runs and a
 * new command (refund, portal_link, cancel_subscription…) drops in as one small file: its name,
 * the records it works on, the custom permission its requester must hold, what it does and what
 * it writes back, and how it runs.
 */
import type { OutboundPorts, OutboundResult } from '../outbound/process-request.js';
import type { CommandRequest } from './command-request.js';
import type { CustomPermissionName } from './permissions.js';
import type { ServicePorts } from './service-ports.js';

/**
 * A record type a command accepts: its API name, and its key prefix when the prefix is fixed in
 * every org (standard objects). Undefined for custom objects, whose prefix each org assigns: the
 * dispatcher reads it from the object's describe, once per cold start.
 */
export interface CommandRecordType {
  readonly sobject: string;
  readonly prefix: string | undefined;
}

/** What a command's handler may use: the billing ports, and the service commands' records and Stripe calls. */
export interface CommandPorts extends OutboundPorts {
  readonly service: ServicePorts;
}

export interface CommandContext {
  readonly request: CommandRequest;
  readonly recordId: string;
  readonly sobject: string;
}

export interface CommandDefinition {
  /** `Command__c`, lower case. */
  readonly name: string;
  readonly recordTypes: readonly CommandRecordType[];
  /** Checked against `Requested_By__c` before the command runs; undefined: any user may ask. */
  readonly permission: CustomPermissionName | undefined;
  /**
   * A second custom permission some requests of the command need (a cancellation that credits or
   * invoices money now): checked like `permission`, after it.
   */
  readonly permissionFor?: (request: CommandRequest) => CustomPermissionName | undefined;
  /** For docs and the refusal of a command that is not built yet. */
  readonly effect: string;
  /** Which Stripe requests carry which idempotency key (docs). */
  readonly idempotency: string;
  /** The fields written back on the record (docs). */
  readonly writeBack: string;
  run(context: CommandContext, ports: CommandPorts): Promise<OutboundResult>;
}
