/** Every command the bridge knows, by `Command__c`. A new command is one file and one line here. */
import { checkoutCommand } from './checkout.js';
import type { CommandDefinition } from './command.js';
import { invoiceCommand } from './invoice.js';
import { paymentLinkCommand } from './payment-link.js';
import { refundCommand } from './refund.js';
import { portalLinkCommand, updatePaymentMethodCommand } from './customer-links.js';
import { markUncollectibleCommand, sendInvoiceCommand, voidInvoiceCommand } from './invoice-actions.js';
import { retryCommand } from './retry.js';
import { subscriptionCommand } from './subscription.js';
import { syncProductCommand } from './sync-product.js';
import { cancelSubscriptionCommand, pauseSubscriptionCommand, resumeSubscriptionCommand } from './subscription-actions.js';

export const COMMANDS: ReadonlyMap<string, CommandDefinition> = new Map(
  [invoiceCommand, paymentLinkCommand, checkoutCommand, subscriptionCommand, refundCommand, portalLinkCommand, updatePaymentMethodCommand, sendInvoiceCommand, voidInvoiceCommand, markUncollectibleCommand, cancelSubscriptionCommand, pauseSubscriptionCommand, resumeSubscriptionCommand, retryCommand, syncProductCommand].map((command) => [command.name, command]),
);
