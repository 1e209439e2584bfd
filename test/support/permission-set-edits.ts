/** Variants of the package's permission set XML, to prove that a missing grant fails like in a real org. */

/** The package's permission set without the entry of one field (or object). */
export function withoutGrant(xml: string, tag: 'fieldPermissions' | 'objectPermissions', name: string): string {
  const inner = tag === 'fieldPermissions' ? 'field' : 'object';
  const block = new RegExp(`\\s*<${tag}>(?:(?!</${tag}>)[\\s\\S])*<${inner}>${name}</${inner}>[\\s\\S]*?</${tag}>`);
  if (!block.test(xml)) throw new Error(`${name} is not granted by this permission set`);
  return xml.replace(block, '');
}

/** The package's permission set with one field readable only. */
export function readOnlyGrant(xml: string, field: string): string {
  const block = new RegExp(`<editable>true</editable>(\\s*<field>${field}</field>)`);
  if (!block.test(xml)) throw new Error(`${field} is not editable in this permission set`);
  return xml.replace(block, '<editable>false</editable>$1');
}

export type ObjectPermissionFlag = 'allowCreate' | 'allowDelete' | 'allowEdit' | 'allowRead' | 'modifyAllRecords' | 'viewAllRecords';

/** The package's permission set with some flags of one object's entry changed. */
export function objectPermissionFlags(xml: string, object: string, flags: Partial<Record<ObjectPermissionFlag, boolean>>): string {
  const block = new RegExp(`<objectPermissions>(?:(?!</objectPermissions>)[\\s\\S])*?<object>${object}</object>[\\s\\S]*?</objectPermissions>`);
  const found = block.exec(xml);
  if (found === null) throw new Error(`${object} has no object permissions in this permission set`);
  let entry = found[0];
  for (const [flag, value] of Object.entries(flags)) entry = entry.replace(new RegExp(`<${flag}>(true|false)</${flag}>`), `<${flag}>${String(value)}</${flag}>`);
  return xml.replace(found[0], entry);
}
