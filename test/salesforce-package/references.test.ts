/**
 * Every field, related list, compact layout and tab the package's pages name exists, so the one
 * `sf project deploy start` passes Salesforce's metadata checks: a layout, list view or compact
 * layout naming a field that does not exist fails the deploy ("Layout", "ListView",
 * "CompactLayout", "CustomTab", Metadata API Developer Guide). Fields come from the package itself
 * and from the data-model catalogue (standard fields), plus the standard fields in report-references.ts.
 */
import { describe, expect, it } from 'vitest';
import { childrenNamed, parseXml, textOf, type XmlElement } from '../../src/local/standins/xml.js';
import { DATA_MODEL } from '../../src/salesforce/data-model.js';
import { fieldExists as packageFieldExists } from './report-references.js';
import { loadPackage, metadataFiles, picklistValues } from './sfdx-package.js';

const pkg = loadPackage();
const files = metadataFiles();

/** List view and related list columns name the record's name field this way. */
const NAME_COLUMN = 'NAME';

function fieldExists(object: string, field: string): boolean {
  return field === NAME_COLUMN || packageFieldExists(pkg, object, field);
}

interface Page {
  readonly path: string;
  readonly object: string;
  readonly root: XmlElement;
}

function pages(suffix: string, objectOf: (path: string) => string): Page[] {
  return files
    .filter((f) => f.path.endsWith(`.${suffix}-meta.xml`))
    .map((f) => ({ path: f.path, object: objectOf(f.path), root: parseXml(f.source) }));
}

/** objects/<Object>/<folder>/<member>.<suffix>-meta.xml */
const objectFolder = (path: string): string => path.split('/').at(-3) ?? '';
/** layouts/<Object>-<Layout name>.layout-meta.xml */
const layoutObject = (path: string): string => (path.split('/').at(-1) ?? '').split('-')[0] ?? '';

const layouts = pages('layout', layoutObject);
const listViews = pages('listView', objectFolder);
const compactLayouts = pages('compactLayout', objectFolder);

const texts = (element: XmlElement, name: string): string[] => childrenNamed(element, name).map((e) => e.text ?? '');

function missingFields(object: string, fields: readonly string[]): string[] {
  return fields.filter((field) => !fieldExists(object, field));
}

describe('the package names only fields that exist', () => {
  it.each(layouts.map((l) => [l.path, l] as const))('%s', (_path, layout) => {
    const items = childrenNamed(layout.root, 'layoutSections')
      .flatMap((s) => childrenNamed(s, 'layoutColumns'))
      .flatMap((c) => childrenNamed(c, 'layoutItems'))
      .map((i) => textOf(i, 'field') ?? '');
    expect(missingFields(layout.object, items)).toEqual([]);
    for (const related of childrenNamed(layout.root, 'relatedLists')) {
      const name = textOf(related, 'relatedList') ?? '';
      const [child = '', lookup = ''] = name.split('.');
      const field = pkg.field(child, lookup);
      // A related list of a custom object is `<Child>.<lookup field>`, a lookup to this object.
      expect(field, name).toBeDefined();
      expect(textOf(field as XmlElement, 'referenceTo'), name).toBe(layout.object);
      expect(missingFields(child, texts(related, 'fields')), name).toEqual([]);
    }
  });

  it.each(listViews.map((l) => [l.path, l] as const))('%s', (_path, view) => {
    const filters = childrenNamed(view.root, 'filters');
    expect(missingFields(view.object, [...texts(view.root, 'columns'), ...filters.map((f) => textOf(f, 'field') ?? '')])).toEqual([]);
    // A picklist filter's values (comma-separated: any of them) are values of that picklist.
    for (const filter of filters) {
      const field = pkg.field(view.object, textOf(filter, 'field') ?? '');
      if (field === undefined || textOf(field, 'type') !== 'Picklist') continue;
      const allowed = picklistValues(field);
      expect((textOf(filter, 'value') ?? '').split(',').filter((v) => !allowed.includes(v))).toEqual([]);
    }
  });

  it.each(compactLayouts.map((l) => [l.path, l] as const))('%s', (_path, compact) => {
    expect(missingFields(compact.object, texts(compact.root, 'fields'))).toEqual([]);
  });

  it('assigns each custom object a compact layout it has (or the system one)', () => {
    for (const [object, definition] of pkg.objects) {
      const assigned = textOf(definition, 'compactLayoutAssignment');
      if (assigned === undefined || assigned === 'SYSTEM') continue;
      expect(compactLayouts.filter((c) => c.object === object).map((c) => textOf(c.root, 'fullName'))).toContain(assigned);
    }
  });

  it('has a tab, list views and a compact layout for every Stripe object', () => {
    const tabs = [...pkg.members('tab').keys()];
    for (const object of Object.keys(DATA_MODEL).filter((o) => o.startsWith('Stripe_') && o.endsWith('__c'))) {
      expect(tabs, object).toContain(object);
      expect(listViews.filter((v) => v.object === object).length, object).toBeGreaterThan(0);
      expect(textOf(pkg.objects.get(object) as XmlElement, 'compactLayoutAssignment'), object).not.toBe('SYSTEM');
    }
    for (const tab of tabs) {
      expect(pkg.objects.has(tab), tab).toBe(true);
      expect(textOf(pkg.members('tab').get(tab) as XmlElement, 'customObject')).toBe('true');
    }
  });

  it('finds a missing field (the check itself can fail)', () => {
    expect(missingFields('Account', ['Stripe_Lifetime_Paid__c', 'Stripe_No_Such_Field__c'])).toEqual(['Stripe_No_Such_Field__c']);
  });
});
