/**
 * What a report type, report or dashboard of the package names, checked against what exists: a
 * wrong name fails the whole `sf project deploy start` ("ReportType", "Report", "Dashboard",
 * Metadata API Developer Guide). Pure functions over parsed metadata, so a test can plant a bad
 * reference and see it found.
 *
 * Names as the Metadata API writes them:
 * - a report type column is `<field>` on `<table>`: the base object (`Stripe_Payment__c`), or a
 *   joined child relationship below it (`Account.Stripe_Payments__r`); a field may go through
 *   lookups (`Account__c.Stripe_Payment_Health__c`, `Owner`);
 * - a report on a custom report type names it `<ReportType>__c` and its columns `<table>$<field>`
 *   (`Stripe_Payment__c$Amount__c`); custom summary formulas write `<table>.<field>:SUM`;
 * - a dashboard names a report `<Folder>/<Report>` and its columns as the report does.
 */
import { childNamed, childrenNamed, textOf, type XmlElement } from '../../src/local/standins/xml.js';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import { picklistValues, type SfdxPackage } from './sfdx-package.js';

/** Standard fields the package's pages and reports name that the bridge itself never touches (so not in DATA_MODEL). */
export const STANDARD_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Account: ['Name', 'OwnerId', 'ParentId', 'Type', 'CreatedDate'],
  Opportunity: ['OwnerId', 'CreatedDate'],
  Order: ['OwnerId', 'EffectiveDate'],
  Case: ['CaseNumber', 'OwnerId', 'ClosedDate', 'CreatedDate'],
  Task: ['OwnerId', 'WhatId', 'Subject', 'Status', 'Priority', 'ActivityDate', 'Description', 'CreatedDate'],
  User: ['Name', 'Username'],
};
/** Every custom object has these. */
const CUSTOM_OBJECT_FIELDS = ['Id', 'Name', 'OwnerId', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById'];

/** Standard lookups the report builder names without their `Id` (`Owner` for OwnerId), and where they lead. */
const STANDARD_LOOKUPS: Readonly<Record<string, string>> = { Owner: 'User', CreatedBy: 'User', LastModifiedBy: 'User' };

/** Standard report types a report of this package may use (none today; the list grows on purpose). */
export const STANDARD_REPORT_TYPES: readonly string[] = [];

export function fieldExists(pkg: SfdxPackage, object: string, field: string): boolean {
  if (pkg.field(object, field) !== undefined) return true;
  if (DATA_MODEL[object]?.[field] !== undefined) return true;
  if (object.endsWith('__c') && CUSTOM_OBJECT_FIELDS.includes(field)) return true;
  return STANDARD_FIELDS[object]?.includes(field) === true;
}

/** The object a lookup field of `object` points at, or undefined when it is not a known lookup. */
function lookupTarget(pkg: SfdxPackage, object: string, field: string): string | undefined {
  const packaged = pkg.field(object, field);
  if (packaged !== undefined) return textOf(packaged, 'referenceTo');
  const spec = DATA_MODEL[object]?.[field] ?? DATA_MODEL[object]?.[`${field}Id`];
  if (spec?.referenceTo !== undefined) return spec.referenceTo;
  if (STANDARD_LOOKUPS[field] !== undefined && fieldExists(pkg, object, `${field}Id`)) return STANDARD_LOOKUPS[field];
  return undefined;
}

/**
 * Whether a report type field exists on `object`: a field of it (a standard lookup may drop its
 * `Id`, as the report builder writes `Owner` and `Account`), or a path of lookups to one.
 */
export function fieldPathExists(pkg: SfdxPackage, object: string, path: string): boolean {
  const [first = '', ...rest] = path.split('.');
  if (rest.length === 0) return fieldExists(pkg, object, first) || lookupTarget(pkg, object, first) !== undefined;
  const target = lookupTarget(pkg, object, first);
  return target !== undefined && fieldPathExists(pkg, target, rest.join('.'));
}

/** The object and field a report type field path ends on (`Account__c.Stripe_MRR__c` on a payment: Account, Stripe_MRR__c). */
export function fieldPathTarget(pkg: SfdxPackage, object: string, path: string): { readonly object: string; readonly field: string } | undefined {
  const [first = '', ...rest] = path.split('.');
  if (rest.length === 0) return { object, field: first };
  const target = lookupTarget(pkg, object, first);
  return target === undefined ? undefined : fieldPathTarget(pkg, target, rest.join('.'));
}

/** Every field a report type shows, as the object and field it ends on. */
export function reportTypeFields(pkg: SfdxPackage, reportType: XmlElement): Array<{ readonly object: string; readonly field: string }> {
  const tables = reportTypeTables(pkg, reportType);
  return childrenNamed(reportType, 'sections')
    .flatMap((s) => childrenNamed(s, 'columns'))
    .flatMap((c) => {
      const object = tables.get(textOf(c, 'table') ?? '');
      const target = object === undefined ? undefined : fieldPathTarget(pkg, object, textOf(c, 'field') ?? '');
      return target === undefined ? [] : [target];
    });
}

/** The object of a child relationship (`Stripe_Payments__r` of Account): the lookup whose relationship it is. */
function childObject(pkg: SfdxPackage, parent: string, relationship: string): string | undefined {
  for (const [object, fields] of pkg.fields) {
    for (const field of fields.values()) {
      if (textOf(field, 'referenceTo') === parent && `${textOf(field, 'relationshipName') ?? ''}__r` === relationship) return object;
    }
  }
  return undefined;
}

/** Table name → object, for the base object and every join of a report type. */
export function reportTypeTables(pkg: SfdxPackage, reportType: XmlElement): Map<string, string> {
  const base = textOf(reportType, 'baseObject') ?? '';
  const tables = new Map([[base, base]]);
  let parentTable = base;
  let parentObject = base;
  let join = childNamed(reportType, 'join');
  while (join !== undefined) {
    const relationship = textOf(join, 'relationship') ?? '';
    const child = childObject(pkg, parentObject, relationship);
    parentTable = `${parentTable}.${relationship}`;
    if (child === undefined) break;
    tables.set(parentTable, child);
    parentObject = child;
    join = childNamed(join, 'join');
  }
  return tables;
}

/** What is wrong with a report type: a join, table or field that does not exist. */
export function reportTypeProblems(pkg: SfdxPackage, reportType: XmlElement): string[] {
  const problems: string[] = [];
  const base = textOf(reportType, 'baseObject') ?? '';
  if (!pkg.objects.has(base) && DATA_MODEL[base] === undefined) problems.push(`unknown base object ${base}`);
  const tables = reportTypeTables(pkg, reportType);
  let joins = 0;
  for (let join = childNamed(reportType, 'join'); join !== undefined; join = childNamed(join, 'join')) joins += 1;
  if (tables.size !== joins + 1) problems.push(`a join names a child relationship that does not exist`);
  for (const column of childrenNamed(reportType, 'sections').flatMap((s) => childrenNamed(s, 'columns'))) {
    const table = textOf(column, 'table') ?? '';
    const field = textOf(column, 'field') ?? '';
    const object = tables.get(table);
    if (object === undefined) problems.push(`unknown table ${table}`);
    else if (!fieldPathExists(pkg, object, field)) problems.push(`${table}: no field ${field}`);
  }
  return problems;
}

/** The columns a report type offers its reports, as reports name them (`<table>$<field>`). */
export function reportTypeColumns(reportType: XmlElement): Set<string> {
  return new Set(
    childrenNamed(reportType, 'sections')
      .flatMap((s) => childrenNamed(s, 'columns'))
      .map((c) => `${textOf(c, 'table') ?? ''}$${textOf(c, 'field') ?? ''}`),
  );
}

const texts = (elements: readonly XmlElement[], name: string): string[] => elements.flatMap((e) => childrenNamed(e, name)).map((e) => e.text.trim());

/** Every column a report names, with where it names it. */
export function reportColumnUses(report: XmlElement): Array<{ readonly where: string; readonly column: string }> {
  const chart = childrenNamed(report, 'chart');
  const uses = (where: string, columns: readonly string[]) => columns.map((column) => ({ where, column }));
  return [
    ...uses('column', childrenNamed(report, 'columns').map((c) => textOf(c, 'field') ?? '')),
    ...uses('grouping', [...childrenNamed(report, 'groupingsDown'), ...childrenNamed(report, 'groupingsAcross')].map((g) => textOf(g, 'field') ?? '')),
    ...uses('filter', texts(childrenNamed(report, 'filter').flatMap((f) => childrenNamed(f, 'criteriaItems')), 'column')),
    ...uses('bucket source', texts(childrenNamed(report, 'buckets'), 'sourceColumnName')),
    ...uses('time frame', texts(childrenNamed(report, 'timeFrameFilter'), 'dateColumn')),
    ...uses('sort', texts([report], 'sortColumn')),
    ...uses('chart grouping', [...texts(chart, 'groupingColumn'), ...texts(chart, 'secondaryGroupingColumn')]),
    ...uses('chart summary', texts(chart.flatMap((c) => childrenNamed(c, 'chartSummaries')), 'column')),
  ];
}

/** Names a report defines for itself: buckets and custom summary formulas. */
function reportOwnNames(report: XmlElement): Set<string> {
  return new Set([...texts(childrenNamed(report, 'buckets'), 'developerName'), ...texts(childrenNamed(report, 'aggregates'), 'developerName')]);
}

/** The custom report type a report uses (`X__c` → `X`), or undefined for a standard one. */
export function customReportTypeOf(report: XmlElement): string | undefined {
  const name = textOf(report, 'reportType') ?? '';
  return name.endsWith('__c') ? name.slice(0, -'__c'.length) : undefined;
}

/** What is wrong with a report: its report type, or a column the report type does not offer. */
export function reportProblems(pkg: SfdxPackage, report: XmlElement): string[] {
  const reportTypeName = textOf(report, 'reportType') ?? '';
  const custom = customReportTypeOf(report);
  if (custom === undefined) {
    return STANDARD_REPORT_TYPES.includes(reportTypeName) ? [] : [`unknown standard report type ${reportTypeName}`];
  }
  const reportType = pkg.members('reportType').get(custom);
  if (reportType === undefined) return [`unknown report type ${reportTypeName}`];
  const offered = reportTypeColumns(reportType);
  const own = reportOwnNames(report);
  const problems = reportColumnUses(report)
    .filter(({ where, column }) => !offered.has(column) && !own.has(column) && !(where === 'chart summary' && column === 'RowCount'))
    .map(({ where, column }) => `${where} ${column} is not a column of ${reportTypeName}`);
  // A custom summary formula reads `<table>.<field>:SUM`: the report type must offer that column.
  for (const formula of texts(childrenNamed(report, 'aggregates'), 'calculatedFormula')) {
    for (const [, path = ''] of formula.matchAll(/([A-Za-z0-9_.]+):(?:SUM|AVG|MAX|MIN)/g)) {
      const cut = path.lastIndexOf('.');
      const column = `${path.slice(0, cut)}$${path.slice(cut + 1)}`;
      if (!offered.has(column)) problems.push(`formula names ${path}, not a column of ${reportTypeName}`);
    }
  }
  problems.push(...picklistFilterProblems(pkg, report, reportType));
  return problems;
}

/** A filter on a picklist of the base object only uses that picklist's values (comma-separated: any of them). */
function picklistFilterProblems(pkg: SfdxPackage, report: XmlElement, reportType: XmlElement): string[] {
  const base = textOf(reportType, 'baseObject') ?? '';
  const problems: string[] = [];
  for (const item of childrenNamed(report, 'filter').flatMap((f) => childrenNamed(f, 'criteriaItems'))) {
    const [table, field = ''] = (textOf(item, 'column') ?? '').split('$');
    const definition = table === base ? pkg.field(base, field) : undefined;
    if (definition === undefined || textOf(definition, 'type') !== 'Picklist') continue;
    const allowed = picklistValues(definition);
    for (const value of (textOf(item, 'value') ?? '').split(',')) {
      if (!allowed.includes(value)) problems.push(`filter value ${value} is not a value of ${base}.${field}`);
    }
  }
  return problems;
}

/** What is wrong with a dashboard: a report that does not exist, or a column or grouping that report lacks. */
export function dashboardProblems(pkg: SfdxPackage, dashboard: XmlElement): string[] {
  const problems: string[] = [];
  const grid = childNamed(dashboard, 'dashboardGridLayout');
  const cells = grid === undefined ? [] : childrenNamed(grid, 'dashboardGridComponents');
  const columnsWide = Number(grid === undefined ? 0 : textOf(grid, 'numberOfColumns'));
  const taken = new Set<string>();
  for (const cell of cells) {
    const [col, span, row, rows] = ['columnIndex', 'colSpan', 'rowIndex', 'rowSpan'].map((n) => Number(textOf(cell, n)));
    if (col === undefined || span === undefined || row === undefined || rows === undefined) continue;
    if (col + span > columnsWide) problems.push(`a component at row ${row} runs past column ${columnsWide}`);
    for (let r = row; r < row + rows; r += 1) {
      for (let c = col; c < col + span; c += 1) {
        if (taken.has(`${r}:${c}`)) problems.push(`components overlap at row ${r}, column ${c}`);
        taken.add(`${r}:${c}`);
      }
    }
    const component = childNamed(cell, 'dashboardComponent');
    if (component === undefined) continue;
    const name = textOf(component, 'report') ?? '';
    const report = pkg.members('report').get(name);
    if (report === undefined) {
      problems.push(`report ${name} does not exist`);
      continue;
    }
    const groupings = new Set([...childrenNamed(report, 'groupingsDown'), ...childrenNamed(report, 'groupingsAcross')].map((g) => textOf(g, 'field') ?? ''));
    for (const grouping of texts([component], 'groupingColumn')) {
      if (!groupings.has(grouping)) problems.push(`${name}: ${grouping} is not a grouping of the report`);
    }
    const summaries = new Set(['RowCount', ...reportOwnNames(report), ...childrenNamed(report, 'columns').filter((c) => childrenNamed(c, 'aggregateTypes').length > 0).map((c) => textOf(c, 'field') ?? '')]);
    for (const summary of texts(childrenNamed(component, 'chartSummary'), 'column')) {
      if (!summaries.has(summary)) problems.push(`${name}: ${summary} is not a summary of the report`);
    }
  }
  return problems;
}
