/** What `npm start` prints once the stack is up: what is real, what is embedded, where to go next. */
import type { LocalStack } from './stack.js';

export function renderBanner(stack: Pick<LocalStack, 'url' | 'port' | 'webhookSecret' | 'webhookSecretGenerated' | 'services' | 'plan' | 'seeded'>): string {
  const { services, plan } = stack;
  const publicUrl = stack.url.replace('://127.0.0.1:', '://localhost:');
  const describe = (mode: 'real' | 'embedded', url: string, embeddedWhat: string): string =>
    mode === 'embedded' ? `embedded ${embeddedWhat} at ${url}` : `REAL at ${url}`;
  const secretLine = stack.webhookSecretGenerated
    ? `${stack.webhookSecret ?? ''}  (generated for this run)`
    : stack.webhookSecret === undefined
      ? 'from STRIPE_WEBHOOK_SECRET_ARN (Secrets Manager)'
      : 'from STRIPE_WEBHOOK_SECRET';
  const lines = [
    '',
    'Stripe ⇄ Salesforce bridge — local stack is up',
    '',
    `  Views          ${publicUrl}/   (the story; tables: /raw; JSON: /events  /salesforce/records  /dlq  /healthz)`,
    `  SQS + Lambda   ${publicUrl}   (the operator CLI: npx stripe-sf-bridge dlq stats --local)`,
    `  Stripe webhook POST ${publicUrl}/stripe/webhook`,
    `  Platform event POST ${publicUrl}/salesforce/events   (EventBridge envelope)`,
    `  Webhook secret ${secretLine}`,
    `  Salesforce     ${describe(services.salesforce.mode, services.salesforce.url, 'stand-in')}`,
    ...(stack.seeded === undefined
      ? []
      : [
          `                 seeded: Account ${stack.seeded.accountId}, Opportunity ${stack.seeded.opportunityId} (Closed Won, 2 products, USD), ${stack.seeded.jpyOpportunityId} (JPY)`,
          '                 catalogue: a standard price book, a monthly, a yearly, a one-time and a metered product (not in Stripe yet)',
        ]),
    `  Stripe API     ${describe(services.stripe.mode, services.stripe.url, 'stand-in')}`,
    `  DynamoDB       embedded dynalite (in memory) at ${services.dynamo.url}, table ${services.dynamo.table}`,
    `  Queue          in-process, SQS semantics: batch ${plan.queue.batchSize}, ${plan.queue.concurrency} at once, visibility ${plan.queue.visibilityTimeoutMs / 1000} s, DLQ after ${plan.queue.maxReceiveCount} receives`,
    '',
    'Try it (in another terminal):',
    '  npm run send-event -- story invoice-paid         # Closed Won → invoice → paid, checked; see --list for more',
    '  npm run send-event -- closed-won                 # the Opportunity billed by a Stripe invoice',
    '  npm run send-event -- closed-won-jpy             # the JPY Opportunity, invoiced in JPY',
    '  npm run send-event -- invoice.paid --object in_…  # the customer pays that invoice: Opportunity "Paid"',
    '  npm run send-event -- payment_intent.succeeded   # a payment that is not its bill: recorded, not believed',
    '  npm run send-event -- sync-product               # the annual plan Product2 → a Stripe product and a price per PricebookEntry',
    '  npm run send-event -- --list                     # every sample event type and story',
    '',
    'Real Stripe events through the Stripe CLI:',
    `  stripe listen --forward-to localhost:${stack.port}/stripe/webhook`,
    '  then restart with STRIPE_WEBHOOK_SECRET=<the whsec_… it prints>',
    '',
    'Ctrl-C stops the stack. Everything is in memory: a restart starts from the seed.',
    '',
  ];
  return lines.join('\n');
}
