/** Command-line parsing (node:util parseArgs) and help texts; no AWS here. */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from './errors.js';
import { isEmptyFilter, parseSince, type ReplayFilter } from './filter.js';
import { parseReconcileCommand, type ReconcileCommand } from './reconcile-args.js';
import type { DlqKind, TargetOptions } from './targets.js';

export interface CommonOptions {
  /** Target the running local stack (`npm start`): its queues, function and embedded Stripe. */
  readonly local: boolean;
  /** An SQS/Lambda-compatible endpoint instead of AWS's (the local stack's URL, for instance). */
  readonly endpointUrl: string | undefined;
  readonly region: string | undefined;
  readonly profile: string | undefined;
  readonly targets: TargetOptions;
  readonly json: boolean;
  readonly debug: boolean;
}

export type Command =
  | { readonly name: 'help'; readonly text: string; readonly exitCode: 0 | 2 }
  | { readonly name: 'dlq stats'; readonly common: CommonOptions; readonly queues: readonly DlqKind[]; readonly sample: number }
  | {
      readonly name: 'dlq peek';
      readonly common: CommonOptions;
      readonly queue: DlqKind;
      readonly limit: number;
      readonly sample: number;
      readonly type: string | undefined;
    }
  | {
      readonly name: 'dlq replay';
      readonly common: CommonOptions;
      readonly queue: DlqKind;
      readonly filter: ReplayFilter;
      readonly dryRun: boolean;
      readonly rate: number | undefined;
    }
  | { readonly name: 'dlq purge'; readonly common: CommonOptions; readonly queue: DlqKind }
  | { readonly name: 'replay-event'; readonly common: CommonOptions; readonly eventIds: readonly string[]; readonly dryRun: boolean }
  | ReconcileCommand;

export const COMMON_HELP = `Where (one of):
  --stage STAGE          read queues and function from stack StripeSalesforceBridge-STAGE
  --stack NAME           read them from the named CloudFormation stack
  --dlq-url URL          the DLQ of --queue (overrides the stack)
  --queue-url URL        the source queue of --queue (replay target; overrides the stack)
  --function-name NAME   the outbound function (outbound replay where there is no outbound
                         queue: the local stack, or a stack deployed before it had one)
  --local                the running local stack (npm start; PORT picks one of several)
AWS:
  --endpoint-url URL     send SQS and Lambda calls to URL instead of AWS (e.g. the local stack)
  --region REGION        default: AWS_REGION / your AWS config
  --profile NAME         a profile from ~/.aws/config (default credential chain otherwise)
Output:
  --json                 machine-readable output on stdout (progress stays on stderr)
  --debug                print stack traces on errors
  -h, --help             this help`;

export const HELP = {
  main: `Usage: stripe-sf-bridge <command> [options]

Commands:
  dlq stats              depth, oldest age and failure breakdown of the dead-letter queues
  dlq peek               list dead-lettered events without consuming them
  dlq replay             send dead-lettered events back for processing (send first, then delete)
  dlq purge --yes        delete every message in a DLQ
  replay-event evt_…     fetch events from Stripe's API and enqueue them (a webhook never arrived)
  backfill --since DATE  load Stripe's history into Salesforce (resumable, rate-limited)
  reconcile --since 7d   report where Stripe and Salesforce disagree; --fix re-applies Stripe's side
  retry evt_…            re-fetch a dead-lettered event from Stripe, enqueue it, drop its DLQ copy

Run \`stripe-sf-bridge <command> --help\` for its options.
Exit status: 0 ok, 1 something failed, 2 usage error.`,
  dlq: `Usage: stripe-sf-bridge dlq <stats|peek|replay|purge> [options]

Run \`stripe-sf-bridge dlq <command> --help\` for its options.`,
  stats: `Usage: stripe-sf-bridge dlq stats [--queue inbound|outbound|rollups] [--sample N] [options]

Depth from the queue attributes; oldest age and counts by event type and by failure from a
bounded sample (default 100 messages) received without consuming. Every DLQ by default
(inbound, outbound, and the roll-up DLQ when the stack has one).

  --queue inbound|outbound|rollups   one DLQ only
  --sample N                 sample at most N messages per DLQ (default 100, max 1000)

${COMMON_HELP}`,
  peek: `Usage: stripe-sf-bridge dlq peek [--queue inbound|outbound|rollups] [--limit N] [--type T] [options]

Lists event id, type, failure age, receive count and last error per message. Messages are
received with a short visibility timeout and made visible again at once: nothing is consumed.

  --queue inbound|outbound|rollups   default inbound
  --limit N                  show at most N messages (default 20)
  --type T                   only this event type (Stripe type, or detail-type on outbound);
                             a trailing .* matches a family: invoice.*
  --sample N                 receive at most N messages while looking (default 100, max 1000)

${COMMON_HELP}`,
  replay: `Usage: stripe-sf-bridge dlq replay (--all | --event-id ID… | --type T | --since TIME) [options]

--all starts an SQS redrive (message move task) of the whole DLQ back to its queue (inbound,
outbound or rollups) and follows it to the end. Selective replay sends each matching message back to its
queue (inbound: with its original attributes; outbound: the EventBridge event), then deletes it
from the DLQ; where there is no outbound queue (the local stack, older stacks) outbound replay
invokes the outbound function asynchronously with the event instead. A message is deleted only
after its send succeeded; non-matching and failed messages are made visible again. Replays are
safe to repeat: both flows dedup by event id, and the outbound flow bills an Opportunity once;
a replayed roll-up (its id is the SQS message id) is refused by Salesforce when the Account
already shows newer figures.

  --queue inbound|outbound|rollups   default inbound
  --all                      every message
  --event-id ID              this event (repeatable): Stripe evt_… or EventBridge event id
  --type T                   this event type; a trailing .* matches a family: invoice.*
  --since TIME               failed at or after TIME: ISO 8601 or a look-back like 30m, 6h, 2d
  --dry-run                  list what would be replayed; change nothing
  --rate N                   at most N messages per second (with --all: the move task's rate, ≤ 500)
--event-id, --type and --since combine (all must match); --all stands alone.

${COMMON_HELP}`,
  purge: `Usage: stripe-sf-bridge dlq purge --yes [--queue inbound|outbound|rollups] [options]

Deletes every message in the DLQ for good. Refuses without --yes.

  --queue inbound|outbound|rollups   default inbound
  --yes                      confirm

${COMMON_HELP}`,
  replayEvent: `Usage: stripe-sf-bridge replay-event evt_… [evt_…] [--dry-run] [options]

Fetches each event from Stripe's API and enqueues it to the inbound queue exactly as the
ingress would (events too large for SQS travel as a reference). Use it when a webhook never
arrived. Stripe's API keeps events for 30 days.
Environment: STRIPE_SECRET_KEY (a restricted key with read access to events is enough);
STRIPE_API_URL (optional, a Stripe-compatible stand-in). With --local and the embedded Stripe,
both default to the local stack's.

  --dry-run                  fetch and show, do not enqueue

${COMMON_HELP}`,
} as const;

const COMMON_OPTIONS = {
  local: { type: 'boolean', default: false },
  'endpoint-url': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  stack: { type: 'string' },
  stage: { type: 'string' },
  'dlq-url': { type: 'string' },
  'queue-url': { type: 'string' },
  'function-name': { type: 'string' },
  json: { type: 'boolean', default: false },
  debug: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsOptionsConfig;

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export function parse(args: readonly string[], options: ParseArgsOptionsConfig, allowPositionals: boolean): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({ args: [...args], options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (err) {
    // parseArgs explains itself well ("Unknown option '--x'"); keep its words, drop the stack.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export const str = (values: Values, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};
export const flag = (values: Values, name: string): boolean => values[name] === true;

export function positiveInt(values: Values, name: string, fallback: number | undefined, max?: number): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || (max !== undefined && value > max)) {
    throw new UsageError(`--${name} ${raw}: expected a whole number from 1${max === undefined ? '' : ` to ${max}`}`);
  }
  return value;
}

function queueKind(values: Values): DlqKind | undefined {
  const raw = str(values, 'queue');
  if (raw === undefined || raw === 'inbound' || raw === 'outbound' || raw === 'rollups') return raw;
  throw new UsageError(`--queue ${raw}: expected inbound, outbound or rollups`);
}

export function common(values: Values, dlqKind: DlqKind): CommonOptions {
  const local = flag(values, 'local');
  const endpointUrl = str(values, 'endpoint-url');
  if (local && (str(values, 'stack') !== undefined || str(values, 'stage') !== undefined)) {
    throw new UsageError('--local targets the local stack; drop --stack/--stage');
  }
  if (endpointUrl !== undefined && !URL.canParse(endpointUrl)) throw new UsageError(`--endpoint-url ${endpointUrl}: not a URL`);
  return {
    local,
    endpointUrl,
    region: str(values, 'region'),
    profile: str(values, 'profile'),
    json: flag(values, 'json'),
    debug: flag(values, 'debug'),
    targets: {
      stack: str(values, 'stack'),
      stage: str(values, 'stage'),
      dlqUrl: str(values, 'dlq-url'),
      dlqKind,
      queueUrl: str(values, 'queue-url'),
      functionName: str(values, 'function-name'),
    },
  };
}

const QUEUE = { queue: { type: 'string' } } as const satisfies ParseArgsOptionsConfig;
const SAMPLE = { sample: { type: 'string' } } as const satisfies ParseArgsOptionsConfig;

function parseDlq(sub: string | undefined, args: readonly string[], now: number): Command {
  switch (sub) {
    case 'stats': {
      const { values } = parse(args, { ...QUEUE, ...SAMPLE }, false);
      if (flag(values, 'help')) return { name: 'help', text: HELP.stats, exitCode: 0 };
      const queue = queueKind(values);
      // An explicit --dlq-url names one queue; a stack names them all (the roll-up DLQ when it has one).
      const queues: DlqKind[] = queue !== undefined ? [queue] : str(values, 'dlq-url') !== undefined ? ['inbound'] : ['inbound', 'outbound', 'rollups'];
      return { name: 'dlq stats', common: common(values, queue ?? 'inbound'), queues, sample: positiveInt(values, 'sample', 100, 1000) ?? 100 };
    }
    case 'peek': {
      const { values } = parse(args, { ...QUEUE, ...SAMPLE, limit: { type: 'string' }, type: { type: 'string' } }, false);
      if (flag(values, 'help')) return { name: 'help', text: HELP.peek, exitCode: 0 };
      const queue = queueKind(values) ?? 'inbound';
      const limit = positiveInt(values, 'limit', 20, 1000) ?? 20;
      return {
        name: 'dlq peek',
        common: common(values, queue),
        queue,
        limit,
        sample: Math.max(limit, positiveInt(values, 'sample', 100, 1000) ?? 100),
        type: str(values, 'type'),
      };
    }
    case 'replay':
      return parseReplay(args, now);
    case 'purge': {
      const { values } = parse(args, { ...QUEUE, yes: { type: 'boolean', default: false } }, false);
      if (flag(values, 'help')) return { name: 'help', text: HELP.purge, exitCode: 0 };
      const queue = queueKind(values) ?? 'inbound';
      if (!flag(values, 'yes')) {
        throw new UsageError(
          `Refusing to purge the ${queue} DLQ without --yes: a purge deletes every message in it for good. ` +
            'Look first (dlq peek) and replay what can be fixed (dlq replay).',
        );
      }
      return { name: 'dlq purge', common: common(values, queue), queue };
    }
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      return { name: 'help', text: HELP.dlq, exitCode: sub === undefined ? 2 : 0 };
    default:
      throw new UsageError(`Unknown command: dlq ${sub} (expected stats, peek, replay or purge)`);
  }
}

function parseReplay(args: readonly string[], now: number): Command {
  const { values } = parse(
    args,
    {
      ...QUEUE,
      all: { type: 'boolean', default: false },
      'event-id': { type: 'string', multiple: true },
      type: { type: 'string' },
      since: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      rate: { type: 'string' },
    },
    false,
  );
  if (flag(values, 'help')) return { name: 'help', text: HELP.replay, exitCode: 0 };
  const queue = queueKind(values) ?? 'inbound';
  const rawIds = values['event-id'];
  const eventIds = new Set((Array.isArray(rawIds) ? rawIds : []).filter((v): v is string => typeof v === 'string'));
  const since = str(values, 'since');
  const filter: ReplayFilter = {
    all: flag(values, 'all'),
    eventIds,
    type: str(values, 'type'),
    since: since === undefined ? undefined : parseSince(since, now),
  };
  if (isEmptyFilter(filter)) throw new UsageError('Choose what to replay: --all, --event-id ID, --type T or --since TIME');
  if (filter.all && (eventIds.size > 0 || filter.type !== undefined || filter.since !== undefined)) {
    throw new UsageError('--all replays every message; drop --event-id/--type/--since, or drop --all');
  }
  const maxRate = filter.all ? 500 : undefined;
  return {
    name: 'dlq replay',
    common: common(values, queue),
    queue,
    filter,
    dryRun: flag(values, 'dry-run'),
    rate: positiveInt(values, 'rate', undefined, maxRate),
  };
}

function parseReplayEvent(args: readonly string[]): Command {
  const { values, positionals } = parse(args, { 'dry-run': { type: 'boolean', default: false } }, true);
  if (flag(values, 'help')) return { name: 'help', text: HELP.replayEvent, exitCode: 0 };
  if (positionals.length === 0) throw new UsageError('Name the event(s) to replay: replay-event evt_…');
  // Stripe's ids are evt_ and letters/digits; the local stack's are evt_local_… (underscores).
  const notEvents = positionals.filter((id) => !/^evt_[A-Za-z0-9_]+$/.test(id));
  if (notEvents.length > 0) throw new UsageError(`Not a Stripe event id: ${notEvents.join(', ')} (expected evt_…)`);
  return { name: 'replay-event', common: common(values, 'inbound'), eventIds: [...new Set(positionals)], dryRun: flag(values, 'dry-run') };
}

export function parseCommand(argv: readonly string[], now: number): Command {
  const [first, second, ...rest] = argv;
  switch (first) {
    case 'dlq':
      return parseDlq(second, rest, now);
    case 'replay-event':
      return parseReplayEvent(argv.slice(1));
    case 'backfill':
    case 'reconcile':
    case 'retry':
      return parseReconcileCommand(first, argv.slice(1), now);
    case undefined:
      return { name: 'help', text: HELP.main, exitCode: 2 };
    case 'help':
    case '--help':
    case '-h':
      return { name: 'help', text: HELP.main, exitCode: 0 };
    default:
      throw new UsageError(`Unknown command: ${first} (run stripe-sf-bridge --help)`);
  }
}

/** Whether the operator asked for --debug, readable even when parsing fails. */
export function wantsDebug(argv: readonly string[]): boolean {
  return argv.includes('--debug');
}

/** Whether the operator asked for --json, readable even when parsing fails. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.includes('--json');
}
