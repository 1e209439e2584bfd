/**
 * `npm run send-event -- <type>`: builds a realistic sample Stripe event, signs it with the
 * webhook secret the way Stripe does (`Stripe-Signature: t=…,v1=HMAC-SHA256`) and posts it to
 * the local stack, like `stripe trigger` would; then follows it until the consumer is done.
 * `closed-won` posts a sample Closed Won platform event to /salesforce/events instead.
 *
 * The secret: --secret, else STRIPE_WEBHOOK_SECRET (the first one), else the state file the
 * running stack wrote for that port (see state-file.ts).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Env } from '../config.js';
import { mapStripeEvent } from '../mappers/index.js';
import { parseStripeEvent } from '../stripe/event-schemas.js';
import { computeSignature } from '../stripe/signature.js';
import { FINAL_STATUSES, type ActivityEntry } from './activity.js';
import { closedWonEvent, commandEvent } from './platform-event.js';
import {
  sampleEvent,
  SAMPLE_CONTRACT_ID,
  SAMPLE_EVENT_TYPES,
  SAMPLE_JPY_OPPORTUNITY_ID,
  SAMPLE_ORDER_ID,
  SAMPLE_QUOTE_ID,
  SAMPLE_ACCOUNT_ID,
  SAMPLE_ACTION_INVOICES,
  SAMPLE_ACTIVE_SUBSCRIPTION,
  SAMPLE_PAUSED_SUBSCRIPTION,
  SAMPLE_REFUNDABLE_PAYMENT_ID,
  SAMPLE_SUBSCRIPTION_OPPORTUNITY_ID,
  SAMPLE_CATALOGUE,
} from './sample-events.js';
import { closest } from './did-you-mean.js';
import { findRunningStacks, readStateFile, stateFilePath } from './state-file.js';
import { STORY_NAMES, storyDescription, type StoryResult } from './stories.js';

export const CLOSED_WON = 'closed-won';
export const STORY = 'story';
/** Closed Won for the seeded JPY Opportunity: billed in JPY, no variable set. */
export const CLOSED_WON_JPY = 'closed-won-jpy';

/** Quote-to-cash samples: the Stripe_Command__e each shipped Flow publishes, on the seeded record. */
export const COMMAND_SAMPLES: Readonly<
  Record<string, { readonly command: string; readonly recordId: string; readonly what: string; readonly amount?: number; readonly reason?: string; readonly options?: string; readonly catalogue?: boolean }>
> = {
  'quote-accepted': { command: 'checkout', recordId: SAMPLE_QUOTE_ID, what: 'a Checkout link for the sample Quote (discount, tax, shipping)' },
  'order-activated': { command: 'invoice', recordId: SAMPLE_ORDER_ID, what: 'an invoice for the sample Order' },
  'contract-activated': { command: 'invoice', recordId: SAMPLE_CONTRACT_ID, what: "an invoice for the sample Contract's activated Orders" },
  'closed-won-subscription': {
    command: 'subscription',
    recordId: SAMPLE_SUBSCRIPTION_OPPORTUNITY_ID,
    what: "a Stripe subscription for the sample Pro plan Opportunity (3 seats monthly + onboarding, from the local price book: their Stripe prices created, ids written back on the PricebookEntries)",
    catalogue: true,
  },
  'sync-product': {
    command: 'sync_product',
    recordId: SAMPLE_CATALOGUE.annual.productId,
    what: 'syncs the annual plan Product2 to the Stripe catalogue: a product, a yearly price per PricebookEntry (USD, EUR), ids written back',
    catalogue: true,
  },
  refund: { command: 'refund', recordId: SAMPLE_REFUNDABLE_PAYMENT_ID, amount: 20, reason: 'requested_by_customer', what: 'a 20.00 USD refund of the seeded 120.00 USD payment (Stripe_Refund__c)' },
  portal_link: { command: 'portal_link', recordId: SAMPLE_ACCOUNT_ID, what: "a customer portal link for the sample Account, written on it with its expiry" },
  update_payment_method: { command: 'update_payment_method', recordId: SAMPLE_ACCOUNT_ID, what: 'a setup-mode Checkout link where the sample customer saves a new card' },
  send_invoice: { command: 'send_invoice', recordId: SAMPLE_ACTION_INVOICES.send_invoice.recordId, what: 'Stripe emails a seeded open invoice again' },
  void_invoice: { command: 'void_invoice', recordId: SAMPLE_ACTION_INVOICES.void_invoice.recordId, what: 'voids a seeded open invoice (Stripe sends invoice.voided)' },
  mark_uncollectible: { command: 'mark_uncollectible', recordId: SAMPLE_ACTION_INVOICES.mark_uncollectible.recordId, what: 'marks a seeded open invoice uncollectible' },
  cancel_subscription: { command: 'cancel_subscription', recordId: SAMPLE_ACTIVE_SUBSCRIPTION.recordId, what: 'cancels the seeded active subscription at the end of its period' },
  pause_subscription: { command: 'pause_subscription', recordId: SAMPLE_ACTIVE_SUBSCRIPTION.recordId, options: '{"behavior":"keep_as_draft"}', what: 'pauses payment collection on the seeded active subscription (invoices kept as drafts)' },
  resume_subscription: { command: 'resume_subscription', recordId: SAMPLE_PAUSED_SUBSCRIPTION.recordId, what: 'resumes payment collection on the seeded paused subscription' },
};

export interface SendEventIo {
  readonly env: Env;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** Where the running stack's state file is (default the OS temp directory). */
  readonly stateDirectory?: string;
  /** Pause between looks at the event's progress (not used with --no-wait). */
  readonly pause?: (ms: number) => Promise<void>;
}

const USAGE = `Usage: npm run send-event -- <event type | ${CLOSED_WON} | story <name>> [options]

  <event type>     a Stripe event type the bridge handles, e.g. payment_intent.succeeded
  ${CLOSED_WON}       a Closed Won Stripe_Payment_Request__e for the sample Opportunity
  ${CLOSED_WON_JPY}   the same for the sample JPY Opportunity (billed in JPY)
${Object.entries(COMMAND_SAMPLES).map(([name, s]) => `  ${name.padEnd(18)} a Stripe_Command__e: ${s.what}`).join('\n')}
  story <name>     a coherent sequence on an Opportunity of its own (embedded services only):
                   ${STORY_NAMES.join(', ')}

Options:
  --url <url>            the local stack (default: $PORT, else the running npm start, else 8787)
  --secret <whsec_…>     webhook signing secret (default STRIPE_WEBHOOK_SECRET, else the one
                         the running npm start generated)
  --opportunity <id>     ${CLOSED_WON}: the Opportunity to bill (default the sample one)
  --mode <mode>          ${CLOSED_WON}: invoice or payment_link (default: the Opportunity's)
  --object <id>          the id of the event's Stripe object (default a fixed sample id), e.g.
                         invoice.paid --object <the invoice ${CLOSED_WON} created>: the customer
                         pays that bill. An object that is not the Opportunity's bill is recorded,
                         but the Opportunity keeps its status and says why.
  --fail-salesforce <CODE>
                         the embedded Salesforce rejects the event's first record once with
                         CODE (e.g. FIELD_CUSTOM_VALIDATION_EXCEPTION): watch it reach the DLQ,
                         then replay it (npx stripe-sf-bridge dlq replay --local --event-id …)
  --no-wait              do not follow the event until the consumer is done
  --list                 print the event types and stories and exit
`;

/** Outcomes that mean the event did not get where it was going: send-event exits 1. */
const FAILED_STATUSES: ReadonlySet<string> = new Set(['dead_lettered', 'rejected', 'failed']);

const WAIT_MS = 15_000;
const POLL_MS = 250;

export async function runSendEvent(argv: readonly string[], io: SendEventIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        secret: { type: 'string' },
        opportunity: { type: 'string' },
        mode: { type: 'string' },
        object: { type: 'string' },
        'no-wait': { type: 'boolean' },
        'fail-salesforce': { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(USAGE);
    return 0;
  }
  if (values.list === true) {
    io.out(
      `${[
        ...SAMPLE_EVENT_TYPES,
        `${CLOSED_WON}   (Salesforce platform event → /salesforce/events)`,
        `${CLOSED_WON_JPY}   (the same, JPY Opportunity)`,
        ...Object.entries(COMMAND_SAMPLES).map(([name, s]) => `${name}   (Stripe_Command__e: ${s.what})`),
      ].join('\n')}\n`,
    );
    io.out(`\nStories (npm run send-event -- story <name>):\n${STORY_NAMES.map((n) => `  ${n.padEnd(24)} ${storyDescription(n) ?? ''}`).join('\n')}\n`);
    return 0;
  }
  const type = positionals[0];
  const isStory = type === STORY;
  if (type === undefined || positionals.length > (isStory ? 2 : 1) || (isStory && positionals[1] === undefined)) {
    io.err(isStory ? `Name a story: ${STORY_NAMES.join(', ')}\n` : USAGE);
    return 2;
  }
  const known = [...SAMPLE_EVENT_TYPES, CLOSED_WON, CLOSED_WON_JPY, ...Object.keys(COMMAND_SAMPLES)];
  if (!isStory && !known.includes(type)) {
    const guess = STORY_NAMES.includes(type) ? type : closest(type, [...known, ...STORY_NAMES]);
    const hint = guess === undefined ? '' : STORY_NAMES.includes(guess) ? ` Did you mean \`story ${guess}\`?` : ` Did you mean ${guess}?`;
    io.err(`No sample for "${type}".${hint}\nKnown types (npm run send-event -- --list):\n  ${known.join('\n  ')}\nStories: ${STORY_NAMES.join(', ')}\n`);
    return 2;
  }
  if (isStory && !STORY_NAMES.includes(positionals[1] as string)) {
    const guess = closest(positionals[1] as string, STORY_NAMES);
    io.err(`No story "${positionals[1]}".${guess === undefined ? '' : ` Did you mean ${guess}?`} Stories: ${STORY_NAMES.join(', ')}\n`);
    return 2;
  }

  const found = await findStack(values.url, io);
  if (found.error !== undefined) {
    io.err(found.error);
    return 1;
  }
  const baseUrl = found.url;
  const http = io.fetch ?? fetch;
  const post = async (path: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string } | undefined> => {
    try {
      const response = await http(`${baseUrl}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
      return { status: response.status, text: await response.text() };
    } catch (err) {
      io.err(`Could not reach ${baseUrl}: is \`npm start\` running? (${err instanceof Error ? err.message : String(err)})\n`);
      return undefined;
    }
  };

  if (isStory) {
    const name = positionals[1] as string;
    io.out(`Story ${name}: ${storyDescription(name) ?? ''}\n`);
    const reply = await post(`/stories/${encodeURIComponent(name)}`, '', {});
    if (reply === undefined) return 1;
    if (reply.status >= 300) {
      io.err(`${reply.status} ${reply.text.trim()}\n`);
      return 1;
    }
    const result = JSON.parse(reply.text) as StoryResult;
    for (const [i, step] of result.steps.entries()) {
      io.out(`  ${String(i + 1).padStart(2)}. ${step.what} — ${step.type} ${step.id}: ${step.status}${step.note ? ` (${step.note})` : ''}\n`);
    }
    for (const promise of result.promises) io.out(`  ${promise.ok ? 'ok  ' : 'FAIL'} ${promise.promise}${promise.ok ? '' : ` — is ${promise.actual}`}\n`);
    io.out(`\n${result.ok ? 'The story ended as promised.' : 'The story did NOT end as promised.'} Open ${viewsUrl(baseUrl)}${result.opportunityId === undefined ? '' : `#opportunity-${result.opportunityId}`} to read it.\n`);
    return result.ok ? 0 : 1;
  }

  /** The embedded org's price book entries and the Stripe prices written back on them (the catalogue samples). */
  const printCatalogue = async (): Promise<void> => {
    const reply = await http(`${baseUrl}/salesforce/records`).catch(() => undefined);
    if (reply === undefined || !reply.ok) return;
    const objects = ((await reply.json()) as { objects?: Record<string, Array<Record<string, unknown>>> }).objects ?? {};
    io.out('\nPrice book entries (PricebookEntry.Stripe_Price_Id__c, written back by the catalogue sync):\n');
    for (const entry of objects['PricebookEntry'] ?? []) {
      io.out(`  ${String(entry['Id'])}  ${String(entry['UnitPrice'])} ${String(entry['CurrencyIsoCode'] ?? '')}  Product2 ${String(entry['Product2Id'])}  → ${String(entry['Stripe_Price_Id__c'] ?? '(not synced yet)')}\n`);
    }
  };

  const sample = Object.hasOwn(COMMAND_SAMPLES, type) ? COMMAND_SAMPLES[type] : undefined;
  if (sample !== undefined) {
    const event = commandEvent(sample.command, sample.recordId, { now: new Date((io.now ?? Date.now)()), amount: sample.amount, reason: sample.reason, options: sample.options });
    const reply = await post('/salesforce/events', JSON.stringify(event), {});
    if (reply === undefined) return 1;
    io.out(`POST ${baseUrl}/salesforce/events (${event['detail-type']} ${sample.command} on ${sample.recordId}) → ${reply.status}\n${reply.text.trim()}\n`);
    if (sample.catalogue === true && reply.status < 300) await printCatalogue();
    io.out(`\nOpen ${viewsUrl(baseUrl)} to see the record written back and its Stripe_Sync_Log__c.\n`);
    return reply.status < 300 ? 0 : 1;
  }

  if (type === CLOSED_WON || type === CLOSED_WON_JPY) {
    const opportunityId = values.opportunity ?? (type === CLOSED_WON_JPY ? SAMPLE_JPY_OPPORTUNITY_ID : undefined);
    const event = closedWonEvent({ opportunityId, mode: values.mode, now: new Date((io.now ?? Date.now)()) });
    const reply = await post('/salesforce/events', JSON.stringify(event), {});
    if (reply === undefined) return 1;
    io.out(`POST ${baseUrl}/salesforce/events (${event['detail-type']} for Opportunity ${event.detail.payload.Opportunity_Id__c}) → ${reply.status}\n${reply.text.trim()}\n`);
    if (reply.status >= 300) {
      io.err(reply.status === 503 ? 'A transient failure: send it again (in AWS, Lambda would retry).\n' : 'Failed for good: it is in the outbound DLQ (npx stripe-sf-bridge dlq peek --local --queue outbound).\n');
      return 1;
    }
    const result = JSON.parse(reply.text) as { outcome?: string; code?: string; reason?: string };
    if (result.outcome === 'rejected') {
      // Refused for good (also written to the Opportunity's Stripe_Sync_Error__c): nothing was billed.
      io.err(`Outbound: rejected — ${result.code ?? ''}${result.reason ? `: ${result.reason}` : ''}\n`);
      return 1;
    }
    io.out(`\nOutbound: ${result.outcome ?? 'done'}. Open ${viewsUrl(baseUrl)} to see the Opportunity written back.\n`);
    return 0;
  }

  const secret = values.secret ?? firstSecret(io.env['STRIPE_WEBHOOK_SECRET']) ?? (await secretFromStateFile(baseUrl, io.stateDirectory));
  if (secret === undefined) {
    io.err(
      `No webhook secret. Start the stack with \`npm start\` first (send-event reads the secret it generated),\n` +
        `or pass --secret whsec_… / set STRIPE_WEBHOOK_SECRET to the secret the stack uses.\n`,
    );
    return 1;
  }

  const nowSeconds = Math.floor((io.now ?? Date.now)() / 1000);
  const event = sampleEvent(type, { created: nowSeconds, id: `evt_local_${randomBytes(12).toString('hex')}`, ...(values.object === undefined ? {} : { objectId: values.object }) });
  const failCode = values['fail-salesforce'];
  if (failCode !== undefined) {
    const target = firstRecordOf(event);
    if (target === undefined) {
      io.err(`A ${type} event writes nothing to Salesforce: nothing to reject.\n`);
      return 2;
    }
    const armed = await post('/local/salesforce/reject-next-write', JSON.stringify({ ...target, code: failCode }), {});
    if (armed === undefined) return 1;
    if (armed.status >= 300) {
      io.err(`Could not make Salesforce reject it: ${armed.status} ${armed.text.trim()}\n`);
      return 1;
    }
    io.out(`The embedded Salesforce will reject ${target.sobject} ${target.key} once with ${failCode}.\n`);
  }
  const payload = JSON.stringify(event);
  const signature = `t=${nowSeconds},v1=${computeSignature(payload, nowSeconds, secret)}`;
  const reply = await post('/stripe/webhook', payload, { 'stripe-signature': signature });
  if (reply === undefined) return 1;
  io.out(`POST ${baseUrl}/stripe/webhook (${type} ${event.id}) → ${reply.status} ${reply.text.trim()}\n`);
  if (reply.status === 400 && reply.text.includes('signature')) {
    io.err('The stack verifies with another secret: pass --secret with the one `npm start` printed, or unset STRIPE_WEBHOOK_SECRET here.\n');
  }
  if (reply.status >= 300) return 1;

  let failed = false;
  if (values['no-wait'] !== true) {
    const entry = await follow(event.id, baseUrl, http, io);
    if (entry === undefined) {
      io.out('The consumer has not finished with it yet; watch the views.\n');
    } else {
      io.out(`Consumer: ${entry.status}${entry.receiveCount === undefined ? '' : ` (receive ${entry.receiveCount})`}${entry.note ? ` — ${entry.note}` : ''}\n`);
      failed = FAILED_STATUSES.has(entry.status);
      if (entry.status === 'dead_lettered') {
        io.out(`In the DLQ with its reason: npx stripe-sf-bridge dlq peek --local; replay it: npx stripe-sf-bridge dlq replay --local --event-id ${event.id}\n`);
      }
    }
  }
  io.out(`\nOpen ${viewsUrl(baseUrl)} to see the records, recent events and the dead-letter queue.\n`);
  return failed ? 1 : 0;
}

/** The first record the bridge writes for the event (pure mappers: the same as the consumer's). */
function firstRecordOf(event: unknown): { sobject: string; key: string } | undefined {
  const mapped = mapStripeEvent(parseStripeEvent(event));
  const mutation = mapped.outcome === 'mapped' ? mapped.effect.mutations[0] : undefined;
  return mutation === undefined ? undefined : { sobject: mutation.sobject, key: mutation.key.value };
}

/**
 * The stack to talk to: --url, else PORT, else the one running stack's state file (a stack started
 * with PORT=18700 is found without repeating it), else the default port.
 */
async function findStack(url: string | undefined, io: SendEventIo): Promise<{ url: string; error?: undefined } | { url?: undefined; error: string }> {
  if (url !== undefined) return { url: url.replace(/\/+$/, '') };
  const port = io.env['PORT']?.trim();
  if (port !== undefined && port !== '') return { url: `http://127.0.0.1:${port}` };
  const running = await findRunningStacks(io.stateDirectory === undefined ? {} : { directory: io.stateDirectory });
  if (running.length > 1) return { error: `Several local stacks are running (ports ${running.map((s) => s.port).join(', ')}): set PORT or pass --url.\n` };
  return { url: running[0]?.url ?? 'http://127.0.0.1:8787' };
}

function firstSecret(value: string | undefined): string | undefined {
  return value?.split(',').map((s) => s.trim()).find((s) => s !== '');
}

async function secretFromStateFile(baseUrl: string, directory: string | undefined): Promise<string | undefined> {
  const url = new URL(baseUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const state = await readStateFile(stateFilePath(port, directory));
  return state?.webhookSecret;
}

function viewsUrl(baseUrl: string): string {
  return `${baseUrl.replace('://127.0.0.1:', '://localhost:')}/`;
}

/** Asks the stack what became of the event until the consumer is done with it, for a few seconds. */
async function follow(eventId: string, baseUrl: string, http: typeof fetch, io: SendEventIo): Promise<ActivityEntry | undefined> {
  const pause = io.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let waited = 0; waited <= WAIT_MS; waited += POLL_MS) {
    try {
      const response = await http(`${baseUrl}/events/${encodeURIComponent(eventId)}`);
      if (response.ok) {
        const entry = (await response.json()) as ActivityEntry;
        if (FINAL_STATUSES.has(entry.status)) return entry;
      } else {
        await response.body?.cancel();
      }
    } catch {
      return undefined;
    }
    await pause(POLL_MS);
  }
  return undefined;
}
