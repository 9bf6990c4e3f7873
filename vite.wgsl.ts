// The WGSL kernels ship as strings (Vite `?raw` imports in src/shaders.ts and the ops). This plugin serves them
// minified: comments dropped, indentation and needless blanks removed, every line kept (a compile error's line number
// still points at the same line of shaders/*.wgsl, or of the snippet it came from). Used by the library build,
// the tests (so they run what ships) and the demo.
import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

/** Characters of identifiers and numbers: a blank between two of them separates tokens and must stay. */
const WORD = /[A-Za-z0-9_.]/;
/** Operator characters: a blank between two of them may separate tokens (`a - -b`, `x = -1`) and stays too. */
const OPERATOR = /[-+*/%=<>!&|^~]/;

/**
 * Minify WGSL source: line comments removed (WGSL has no string literals, so `//` always starts one), each line's
 * blanks collapsed and dropped where they separate nothing, and trailing empty lines cut. Lines keep their numbers.
 */
export function minifyWgsl(source: string): string {
  if (source.includes('/*')) throw new Error('minifyWgsl: block comments are not handled; use // comments');
  const lines = source.split('\n').map((line) => {
    const code = line.replace(/\/\/.*$/, '').trim();
    return code.replace(/\s+/g, (blank, at: number) => {
      // A {{PLACEHOLDER}} (filled in by the host: a name or a number) counts as a word.
      const word = (side: string, placeholder: boolean) => WORD.test(side) || placeholder;
      const before = word(code[at - 1]!, code.slice(at - 2, at) === '}}');
      const after = word(code[at + blank.length]!, code.startsWith('{{', at + blank.length));
      const keep = (before && after) || (OPERATOR.test(code[at - 1]!) && OPERATOR.test(code[at + blank.length]!));
      return keep ? ' ' : '';
    });
  });
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

/** Vite plugin: `import source from '../shaders/x.wgsl?raw'` gives the minified source. */
export function wgslMinify(): Plugin {
  return {
    name: 'xentropy:wgsl-minify',
    enforce: 'pre',
    load(id) {
      const [path, query] = id.split('?');
      if (!path!.endsWith('.wgsl') || query !== 'raw') return null;
      this.addWatchFile(path!);
      return `export default ${JSON.stringify(minifyWgsl(readFileSync(path!, 'utf8')))};`;
    },
  };
}
