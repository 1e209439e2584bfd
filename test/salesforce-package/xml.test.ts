import { describe, expect, it } from 'vitest';
import { childNamed, parseXml, textOf, XmlSyntaxError } from '../../src/local/standins/xml.js';

describe('parseXml', () => {
  it('reads nested elements, attributes, entities, CDATA and ignores comments', () => {
    const root = parseXml(
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- note -->\n' +
        '<Flow xmlns="urn:x"><formulas a=\'1\'><expression>IF(A &amp;&amp; B, &quot;x&quot;, &#x41;&#66;)</expression>' +
        '<raw><![CDATA[<b>&]]></raw><empty/></formulas></Flow>\n',
    );
    expect(root.name).toBe('Flow');
    expect(root.attributes).toEqual({ xmlns: 'urn:x' });
    const formulas = childNamed(root, 'formulas');
    expect(formulas?.attributes).toEqual({ a: '1' });
    expect(formulas && textOf(formulas, 'expression')).toBe('IF(A && B, "x", AB)');
    expect(formulas && textOf(formulas, 'raw')).toBe('<b>&');
    expect(formulas && textOf(formulas, 'empty')).toBe('');
  });

  it.each([
    ['crossed tags', '<a><b></a></b>'],
    ['an unclosed element', '<a><b></b>'],
    ['an end tag without start', '<a></a></b>'],
    ['two roots', '<a/><b/>'],
    ['text outside the root', '<a/>text'],
    ['an unknown entity', '<a>&nbsp;</a>'],
    ['a bare ampersand', '<a>Q&A</a>'],
    ['a duplicate attribute', '<a x="1" x="2"/>'],
    ['an unquoted attribute', '<a x=1/>'],
    ['a late XML declaration', '<a/><?xml version="1.0"?>'],
    ['a double hyphen in a comment', '<a><!-- a -- b --></a>'],
    ['no element at all', '<?xml version="1.0"?>'],
  ])('rejects %s', (_what, source) => {
    expect(() => parseXml(source)).toThrow(XmlSyntaxError);
  });
});
