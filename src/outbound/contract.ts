/**
 * A Contract as the billing commands bill it: the Contract with its Account, and the lines of its
 * activated Orders (Order.ContractId, Order.StatusCode = 'Activated'). A Contract's lines sit two
 * relationships down (Contract → Order → OrderItem) and SOQL nests one child subquery only, so
 * this takes two queries: the Contract, then its Orders' items through a semi-join.
 * Object Reference, Contract: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contract.htm
 */
import * as z from 'zod/mini';
import {
  ACCOUNT_FIELDS,
  accountSchema,
  checkedId,
  parseRecord,
  PRODUCT_LINE_FIELDS,
  productLineSchema,
  SHOWN_BILLING_FIELDS,
  shownBillingOf,
  shownBillingShape,
  text,
  toBillableAccount,
  toProductLine,
  type BillableRecord,
} from './billable.js';

export function contractQuery(contractId: string, options: { readonly multiCurrency: boolean }): string {
  const fields = [
    'Id',
    'ContractNumber',
    'AccountId',
    ...(options.multiCurrency ? ['CurrencyIsoCode'] : []),
    ...SHOWN_BILLING_FIELDS,
    ...ACCOUNT_FIELDS.map((f) => `Account.${f}`),
  ];
  return `SELECT ${fields.join(', ')} FROM Contract WHERE Id = '${checkedId(contractId)}'`;
}

/** The items of the Contract's activated Orders. */
export function contractLinesQuery(contractId: string): string {
  return (
    `SELECT ${PRODUCT_LINE_FIELDS.join(', ')} FROM OrderItem` +
    ` WHERE OrderId IN (SELECT Id FROM Order WHERE ContractId = '${checkedId(contractId)}' AND StatusCode = 'Activated')`
  );
}

const contractSchema = z.object({
  Id: z.string(),
  ContractNumber: text,
  AccountId: text,
  CurrencyIsoCode: text,
  ...shownBillingShape,
  Account: z.nullish(accountSchema),
});

export function toBillableContract(record: unknown, lines: readonly unknown[]): BillableRecord {
  const c = parseRecord(contractSchema, record, 'Contract');
  const items = lines.map((line) => parseRecord(productLineSchema, line, 'Contract'));
  return {
    sobject: 'Contract',
    id: c.Id,
    name: c.ContractNumber === undefined ? undefined : `Contract ${c.ContractNumber}`,
    accountId: c.AccountId,
    amount: undefined,
    currencyIsoCode: c.CurrencyIsoCode,
    paymentMode: undefined,
    ...shownBillingOf(c),
    account: toBillableAccount(c.AccountId, c.Account),
    lineItems: items.map(toProductLine),
  };
}
