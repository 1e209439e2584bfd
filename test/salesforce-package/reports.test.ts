/**
 * The package's report types, reports and dashboard name only what exists, so the one
 * `sf project deploy start` passes Salesforce's checks and the Stripe Revenue dashboard renders:
 * report type fields exist on their objects (package, data-model catalogue or known standard
 * fields), reports use report types that exist and only the columns those offer, dashboards
 * only reports that exist and their groupings and summaries. Each check is shown to fail on a
 * planted bad reference. (Layouts, list views and compact layouts: references.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { childrenNamed, parseXml, textOf, type XmlElement } from '../../src/local/standins/xml.js';
import { fieldPermissions, loadPackage, metadataFiles, objectPermissions, picklistValues } from './sfdx-package.js';
import { customReportTypeOf, dashboardProblems, fieldPathExists, reportProblems, reportTypeFields, reportTypeProblems } from './report-references.js';

const pkg = loadPackage();
const reportTypes = [...pkg.members('reportType')];
const reports = [...pkg.members('report')];
const dashboards = [...pkg.members('dashboard')];
const sourceOf = (suffix: string, member: string): string => {
  const file = metadataFiles().find((f) => f.path.endsWith(`/${member}.${suffix}-meta.xml`));
  if (file === undefined) throw new Error(`no ${suffix} ${member}`);
  return file.source;
};
/** The same metadata with one name replaced: a planted bad reference. */
const planted = (suffix: string, member: string, from: string, to: string): XmlElement => {
  const source = sourceOf(suffix, member);
  if (!source.includes(from)) throw new Error(`${member} does not name ${from}`);
  return parseXml(source.replace(from, to));
};

describe('the package ships report types, reports and a dashboard', () => {
  it('has report types over every Stripe object, with Account and Opportunity', () => {
    const bases = new Set(reportTypes.map(([, rt]) => textOf(rt, 'baseObject')));
    for (const object of ['Stripe_Payment__c', 'Stripe_Invoice__c', 'Stripe_Refund__c', 'Stripe_Subscription__c', 'Stripe_Subscription_Change__c', 'Account', 'Case']) {
      expect(bases, object).toContain(object);
    }
    const fields = reportTypes.flatMap(([, rt]) => childrenNamed(rt, 'sections').flatMap((s) => childrenNamed(s, 'columns')).map((c) => textOf(c, 'field') ?? ''));
    expect(fields).toContain('Account__c');
    expect(fields).toContain('Opportunity__c');
  });

  it('has the reports the Stripe Revenue dashboard shows, in the Stripe Reports folder', () => {
    expect(reports.map(([name]) => name).sort()).toEqual(
      [
        'Stripe_Cash_Collected_by_Month',
        'Stripe_Disputes_by_Month',
        'Stripe_Failed_Payments_and_Recovery',
        'Stripe_MRR_Movements_by_Month',
        'Stripe_Open_Invoices_by_Age',
        'Stripe_Refunds_by_Month',
        'Stripe_Top_Accounts_by_Lifetime_Paid',
      ].map((r) => `Stripe_Reports/${r}`),
    );
    expect([...pkg.members('reportFolder').keys()]).toEqual(['Stripe_Reports']);
    expect([...pkg.members('dashboardFolder').keys()]).toEqual(['Stripe_Dashboards']);
    const [name, dashboard] = dashboards[0] ?? [];
    expect(name).toBe('Stripe_Dashboards/Stripe_Revenue');
    expect(textOf(dashboard as XmlElement, 'title')).toBe('Stripe Revenue');
    const shown = new Set(childrenNamed(childrenNamed(dashboard as XmlElement, 'dashboardGridLayout')[0] as XmlElement, 'dashboardGridComponents').map((c) => textOf(childrenNamed(c, 'dashboardComponent')[0] as XmlElement, 'report')));
    expect([...shown].sort()).toEqual(reports.map(([r]) => r).sort());
  });

  it('buckets open invoices by age into 0-30, 31-60, 61-90 and over 90 days', () => {
    const report = pkg.members('report').get('Stripe_Reports/Stripe_Open_Invoices_by_Age') as XmlElement;
    const bucket = childrenNamed(report, 'buckets')[0] as XmlElement;
    expect(textOf(bucket, 'sourceColumnName')).toBe('Stripe_Invoice__c$Days_Overdue__c');
    // A numeric bucket holds values above `from` up to and including `to` (Report, BucketFieldSourceValue).
    const ranges = childrenNamed(bucket, 'values').map((v) => {
      const source = childrenNamed(v, 'sourceValues')[0] as XmlElement;
      return [textOf(source, 'from') ?? '', textOf(source, 'to') ?? '', textOf(v, 'value')];
    });
    expect(ranges).toEqual([
      ['', '30', '0-30 days'],
      ['30', '60', '31-60 days'],
      ['60', '90', '61-90 days'],
      ['90', '', 'Over 90 days'],
    ]);
  });

  it('splits MRR by month into the movement types the bridge records', () => {
    const report = pkg.members('report').get('Stripe_Reports/Stripe_MRR_Movements_by_Month') as XmlElement;
    expect(childrenNamed(report, 'groupingsDown').map((g) => [textOf(g, 'field'), textOf(g, 'dateGranularity')])).toEqual([
      ['Stripe_Subscription_Change__c$Effective_Date__c', 'Month'],
      ['Stripe_Subscription_Change__c$Type__c', 'Day'],
      ['Stripe_Subscription_Change__c$Currency_Code__c', 'Day'],
    ]);
    const type = pkg.field('Stripe_Subscription_Change__c', 'Type__c') as XmlElement;
    expect(picklistValues(type)).toEqual(expect.arrayContaining(['New Business', 'Expansion', 'Contraction', 'Churn']));
  });

  it('keeps labels and descriptions within what Salesforce stores', () => {
    for (const [name, rt] of reportTypes) {
      expect((textOf(rt, 'label') ?? '').length, name).toBeLessThanOrEqual(50);
      expect((textOf(rt, 'description') ?? '').length, name).toBeLessThanOrEqual(255);
    }
    for (const [name, report] of reports) {
      expect((textOf(report, 'name') ?? '').length, name).toBeLessThanOrEqual(40);
      expect((textOf(report, 'description') ?? '').length, name).toBeLessThanOrEqual(255);
    }
  });

  it('lets sales, support and finance (Stripe Bridge Read Only) read every Stripe field and object the report types show', () => {
    const readOnly = pkg.members('permissionset').get('Stripe_Bridge_Read_Only') as XmlElement;
    const readableFields = new Set(fieldPermissions(readOnly).filter((p) => p.readable).map((p) => p.field));
    const readableObjects = new Set(objectPermissions(readOnly).filter((p) => p.allowRead).map((p) => p.object));
    const shown = reportTypes.flatMap(([, rt]) => reportTypeFields(pkg, rt));
    expect(shown.length).toBeGreaterThan(100);
    // Custom fields have field-level security; standard ones (Name, Owner, Status…) follow the user's profile.
    const unreadable = shown.filter((f) => f.field.endsWith('__c') && !readableFields.has(`${f.object}.${f.field}`)).map((f) => `${f.object}.${f.field}`);
    expect([...new Set(unreadable)]).toEqual([]);
    const stripeObjects = [...new Set(shown.map((f) => f.object).filter((o) => o.startsWith('Stripe_')))];
    expect(stripeObjects.filter((o) => !readableObjects.has(o))).toEqual([]);
  });

  it('shares its folders read only with all internal users and runs the dashboard as the viewer (no username baked in)', () => {
    for (const folder of [...pkg.members('reportFolder').values(), ...pkg.members('dashboardFolder').values()]) {
      const share = childrenNamed(folder, 'folderShares')[0] as XmlElement;
      expect([textOf(share, 'accessLevel'), textOf(share, 'sharedTo'), textOf(share, 'sharedToType')]).toEqual(['View', 'AllInternalUsers', 'Group']);
    }
    const dashboard = dashboards[0]?.[1] as XmlElement;
    expect(textOf(dashboard, 'dashboardType')).toBe('LoggedInUser');
    expect(textOf(dashboard, 'runningUser')).toBeUndefined();
  });
});

describe('report types name only fields that exist', () => {
  it.each(reportTypes)('%s', (_name, reportType) => {
    expect(reportTypeProblems(pkg, reportType)).toEqual([]);
  });

  it('finds a planted unknown field, lookup path, table and child relationship', () => {
    expect(reportTypeProblems(pkg, planted('reportType', 'Stripe_Payments_with_Account', '<field>Amount__c</field>', '<field>Amount_Typo__c</field>'))).toEqual([
      'Stripe_Payment__c: no field Amount_Typo__c',
    ]);
    expect(reportTypeProblems(pkg, planted('reportType', 'Stripe_Payments_with_Account', 'Account__c.Stripe_Payment_Health__c', 'Account__c.Stripe_Health__c'))).toEqual([
      'Stripe_Payment__c: no field Account__c.Stripe_Health__c',
    ]);
    expect(reportTypeProblems(pkg, planted('reportType', 'Stripe_Accounts_with_Payments', '<relationship>Stripe_Payments__r', '<relationship>Payments__r'))).toContain(
      'a join names a child relationship that does not exist',
    );
    expect(fieldPathExists(pkg, 'Case', 'Stripe_Payment__c.Status__c')).toBe(true);
    expect(fieldPathExists(pkg, 'Case', 'Stripe_Payment__c.No_Such__c')).toBe(false);
  });
});

describe('reports use report types that exist and only the columns they offer', () => {
  it.each(reports)('%s', (_name, report) => {
    expect(customReportTypeOf(report), 'a custom report type').toBeDefined();
    expect(reportProblems(pkg, report)).toEqual([]);
  });

  it('finds a planted unknown report type, column, grouping, filter, formula field and picklist value', () => {
    const cash = 'Stripe_Cash_Collected_by_Month';
    expect(reportProblems(pkg, planted('report', cash, 'Stripe_Payments_with_Account__c', 'Stripe_Payments_Typo__c'))).toEqual([
      'unknown report type Stripe_Payments_Typo__c',
    ]);
    expect(reportProblems(pkg, planted('report', cash, '<field>Stripe_Payment__c$Card_Brand__c', '<field>Stripe_Payment__c$Card_Number__c'))).toEqual([
      'column Stripe_Payment__c$Card_Number__c is not a column of Stripe_Payments_with_Account__c',
    ]);
    expect(reportProblems(pkg, planted('report', cash, '<field>Stripe_Payment__c$Currency_Code__c', '<field>Stripe_Payment__c$Currency__c'))).toEqual([
      'grouping Stripe_Payment__c$Currency__c is not a column of Stripe_Payments_with_Account__c',
    ]);
    expect(reportProblems(pkg, planted('report', cash, '<column>Stripe_Payment__c$Status__c', '<column>Stripe_Invoice__c$Status__c'))).toEqual([
      'filter Stripe_Invoice__c$Status__c is not a column of Stripe_Payments_with_Account__c',
    ]);
    expect(reportProblems(pkg, planted('report', cash, 'Dispute Won', 'Dispute Pending'))).toEqual([
      'filter value Dispute Pending is not a value of Stripe_Payment__c.Status__c',
    ]);
    expect(reportProblems(pkg, planted('report', 'Stripe_Failed_Payments_and_Recovery', 'Case.Stripe_Payment_Recovered__c:SUM', 'Case.Recovered__c:SUM'))).toEqual([
      'formula names Case.Recovered__c, not a column of Stripe_Payment_Failure_Cases__c',
    ]);
  });
});

describe('dashboards show only reports that exist', () => {
  it.each(dashboards)('%s', (_name, dashboard) => {
    expect(dashboardProblems(pkg, dashboard)).toEqual([]);
  });

  it('finds a planted missing report, grouping, summary and overlap', () => {
    const revenue = 'Stripe_Revenue';
    expect(dashboardProblems(pkg, planted('dashboard', revenue, 'Stripe_Reports/Stripe_Refunds_by_Month', 'Stripe_Reports/Stripe_Refunds'))).toEqual([
      'report Stripe_Reports/Stripe_Refunds does not exist',
    ]);
    expect(dashboardProblems(pkg, planted('dashboard', revenue, '<groupingColumn>Account$Name', '<groupingColumn>Account$Owner'))).toEqual([
      'Stripe_Reports/Stripe_Top_Accounts_by_Lifetime_Paid: Account$Owner is not a grouping of the report',
    ]);
    expect(dashboardProblems(pkg, planted('dashboard', revenue, '<column>Account$Stripe_Lifetime_Paid__c', '<column>Account$Stripe_MRR_Typo__c'))).toEqual([
      'Stripe_Reports/Stripe_Top_Accounts_by_Lifetime_Paid: Account$Stripe_MRR_Typo__c is not a summary of the report',
    ]);
    expect(dashboardProblems(pkg, planted('dashboard', revenue, '<columnIndex>4</columnIndex>', '<columnIndex>2</columnIndex>'))).toContain(
      'components overlap at row 0, column 2',
    );
  });
});
