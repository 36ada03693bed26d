// Writes the API reference (docs/api/) from the built declaration files (dist/*.d.ts, `npm run build`) and
// their doc comments: one page per package entry, one section per export. TypeDoc needs TypeScript 5's
// compiler API, which TypeScript 7 does not have, so this reads the .d.ts text that tsc emits.
// Usage: npm run build && npm run docs:api
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const ENTRIES = [
  { name: 'untangle/browser', source: 'src/browser.ts', page: 'browser.md' },
  { name: 'untangle', source: 'src/index.ts', page: 'index.md' },
];

interface Export {
  name: string;
  original: string;
  /** the .d.ts declaring it */
  file: string;
}

/** The names an entry exports and the .d.ts files that declare them (`export *` is left to its own page). */
function exportsOf(source: string): Export[] {
  const text = readFileSync(join(ROOT, source), 'utf8');
  const dts = (path: string) => join(ROOT, 'dist', path.replace(/^src\//, '').replace(/\.ts$/, '.d.ts'));
  const out: Export[] = [];
  for (const m of text.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
    const file = dts(join(dirname(source), m[2]));
    for (const item of m[1].split(',')) {
      const words = item.trim().replace(/^type\s+/, '');
      if (words === '') continue;
      const [original, name = original] = words.split(/\s+as\s+/);
      out.push({ name, original, file });
    }
  }
  for (const m of text.matchAll(/^export\s+(?:async\s+)?(?:function|const|interface|type|class)\s+(\w+)/gm)) {
    out.push({ name: m[1], original: m[1], file: dts(source) });
  }
  return out;
}

/** The declaration of `name` in a .d.ts and the doc comment before it. */
function declarationOf(file: string, name: string): { doc: string; code: string } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((l) =>
    new RegExp(`^export (declare )?(abstract )?(function|const|interface|type|class) ${name}\\b`).test(l),
  );
  if (start < 0) throw new Error(`${file}: no declaration of ${name}`);
  let end = start;
  let depth = 0;
  for (; end < lines.length; end++) {
    for (const ch of lines[end]) {
      if ('{(['.includes(ch)) depth++;
      else if ('})]'.includes(ch)) depth--;
    }
    if (depth <= 0 && /[;}]\s*$/.test(lines[end])) break;
  }
  let docStart = start;
  if (lines[start - 1]?.trim().endsWith('*/')) {
    docStart = start - 1;
    while (docStart > 0 && !lines[docStart].trim().startsWith('/**')) docStart--;
  }
  const doc = lines
    .slice(docStart, start)
    .map((l) =>
      l
        .trim()
        .replace(/^\/\*\*\s?|\s?\*\/$|^\*\s?/g, '')
        .replace(/\*\/$/, ''),
    )
    .filter((l) => !l.startsWith('@'))
    .join('\n')
    .trim();
  return { doc, code: lines.slice(start, end + 1).join('\n') };
}

mkdirSync(join(ROOT, 'docs', 'api'), { recursive: true });
for (const entry of ENTRIES) {
  const exported = exportsOf(entry.source).sort((a, b) => a.name.localeCompare(b.name));
  const intro = /\/\*\*([\s\S]*?)\*\//.exec(readFileSync(join(ROOT, entry.source), 'utf8'))?.[1] ?? '';
  const parts = [
    `# \`${entry.name}\``,
    '',
    intro
      .split('\n')
      .map((l) => l.replace(/^\s*\*\s?/, ''))
      .filter((l) => !l.startsWith('@'))
      .join('\n')
      .trim(),
    '',
    entry.name === 'untangle' ? 'Also everything of [`untangle/browser`](browser.md).\n' : '',
    'Generated from the doc comments of the built `.d.ts` files by `npm run docs:api`; do not edit.',
    '',
    exported.map((e) => `[\`${e.name}\`](#${e.name.toLowerCase()})`).join(' · '),
    '',
  ];
  for (const e of exported) {
    const { doc, code } = declarationOf(e.file, e.original);
    const renamed = e.name === e.original ? '' : ` (\`${e.original}\` in the source)`;
    parts.push(`## ${e.name}`, '', ...(doc ? [doc, ''] : []), '```ts', code, '```', renamed, '');
  }
  writeFileSync(
    join(ROOT, 'docs', 'api', entry.page),
    `${parts
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trim()}\n`,
  );
  process.stdout.write(`docs/api/${entry.page}: ${exported.length} exports\n`);
}
