import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METADATA_NAMESPACE, PROJECT_ROOT, metadataFiles, readProject } from './sfdx-package.js';
import { parseXml } from '../../src/local/standins/xml.js';

/** Root element per metadata file suffix; a new type must be added here on purpose. */
const ROOT_ELEMENT: Readonly<Record<string, string>> = {
  object: 'CustomObject',
  field: 'CustomField',
  validationRule: 'ValidationRule',
  layout: 'Layout',
  permissionset: 'PermissionSet',
  customPermission: 'CustomPermission',
  flow: 'Flow',
  platformEventChannel: 'PlatformEventChannel',
  platformEventChannelMember: 'PlatformEventChannelMember',
  namedCredential: 'NamedCredential',
  eventRelay: 'EventRelayConfig',
  listView: 'ListView',
  compactLayout: 'CompactLayout',
  tab: 'CustomTab',
  quickAction: 'QuickAction',
  reportType: 'ReportType',
  report: 'Report',
  reportFolder: 'ReportFolder',
  dashboard: 'Dashboard',
  dashboardFolder: 'DashboardFolder',
};

/** The type folder of a suffix whose folder is not simply `<suffix>s`. */
const TYPE_FOLDER: Readonly<Record<string, string>> = {
  field: 'objects',
  object: 'objects',
  validationRule: 'objects',
  listView: 'objects',
  compactLayout: 'objects',
  // A report folder is described next to its reports (reports/<Folder>.reportFolder-meta.xml).
  reportFolder: 'reports',
  dashboardFolder: 'dashboards',
};

const files = metadataFiles();

describe('SFDX project', () => {
  it('targets API version 64.0 with one default package directory, all present', () => {
    const project = readProject();
    expect(project.sourceApiVersion).toBe('64.0');
    expect(project.packageDirectories.filter((d) => d.default === true)).toHaveLength(1);
    for (const dir of project.packageDirectories) {
      expect(existsSync(join(PROJECT_ROOT, dir.path, 'main', 'default')), dir.path).toBe(true);
    }
  });

  it('holds the metadata the bridge needs', () => {
    expect(files.length).toBeGreaterThan(60);
  });

  it.each(files.map((f) => [f.path, f.source] as const))('%s is well-formed metadata XML', (path, source) => {
    expect(source.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'), 'XML declaration first').toBe(true);
    const root = parseXml(source);
    const suffix = /\.([A-Za-z]+)-meta\.xml$/.exec(path)?.[1] ?? '';
    expect(ROOT_ELEMENT[suffix], `known metadata suffix .${suffix}`).toBeDefined();
    expect(root.name).toBe(ROOT_ELEMENT[suffix]);
    expect(root.attributes.xmlns).toBe(METADATA_NAMESPACE);
  });

  it.each(files.filter((f) => f.path.includes('/main/default/')).map((f) => [f.path] as const))(
    '%s sits in the folder of its type',
    (path) => {
      const folder = path.split('/main/default/')[1]?.split('/')[0];
      const suffix = /\.([A-Za-z]+)-meta\.xml$/.exec(path)?.[1] ?? '';
      // Fields, validation rules, list views and compact layouts live under their object: objects/<Object>/<kind>/.
      const expected = TYPE_FOLDER[suffix] ?? `${suffix}s`;
      expect(folder).toBe(expected);
    },
  );
});
