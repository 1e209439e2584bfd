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
