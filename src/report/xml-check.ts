/**
 * A small XML well-formedness check for the tests and the smoke test (Node has no XML parser):
 * one root element, every tag closed in order, attribute values quoted, only the five
 * predefined entities or numeric references, no stray `<` or `&` in text. Returns the root
 * element's name, or throws with the position of the first problem.
 */
export function checkXml(xml: string): string {
  let i = 0;
  const stack: string[] = [];
  let root: string | null = null;
  const fail = (why: string): never => {
    throw new SyntaxError(`${why} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  const NAME = /^[A-Za-z_][\w.:-]*/;
  const ATTR = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("[^"<]*"|'[^'<]*')/;
  const checkText = (t: string) => {
    if (t.includes('<')) fail('stray <');
    for (const m of t.matchAll(/&([^;\s]*);?/g)) {
      if (!/^(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+)$/.test(m[1] ?? '') || !m[0].endsWith(';'))
        fail('bad entity');
    }
  };
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) fail('unterminated XML declaration');
    i = end + 2;
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (stack.length === 0 && text.trim() !== '') fail('text outside the root element');
    checkText(text);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end < 0) fail('unterminated comment');
      i = end + 3;
      continue;
    }
    if (xml.startsWith('</', i)) {
      const name = NAME.exec(xml.slice(i + 2))?.[0] ?? fail('bad closing tag');
      if (stack.pop() !== name) fail(`</${name}> does not close the open element`);
      i += 2 + name.length;
      const gt = /^\s*>/.exec(xml.slice(i)) ?? fail('bad closing tag');
      i += gt[0].length;
      continue;
    }
    const name = NAME.exec(xml.slice(i + 1))?.[0] ?? fail('bad tag name');
    if (stack.length === 0) {
      if (root !== null) fail('a second root element');
      root = name;
    }
    i += 1 + name.length;
    const seen = new Set<string>();
    for (;;) {
      const a = ATTR.exec(xml.slice(i));
      if (!a) break;
      if (seen.has(a[1] ?? '')) fail(`duplicate attribute ${a[1]}`);
      seen.add(a[1] ?? '');
      checkText((a[2] ?? '').slice(1, -1));
      i += a[0].length;
    }
    const close = /^\s*(\/?)>/.exec(xml.slice(i)) ?? fail(`bad attributes in <${name}>`);
    i += close[0].length;
    if (close[1] !== '/') stack.push(name);
  }
  if (stack.length > 0) fail(`<${stack[stack.length - 1]}> is not closed`);
  return root ?? fail('no root element');
}
