import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The layer rule of docs/architecture.md, checked on source text: a file in folder A of src/ may import
 * from its own folder or from a folder of a lower layer, never from one of its own layer or above.
 */

/** One import of one file: the folders (under src/) of both ends. */
export interface ImportEdge {
  file: string;
  line: number;
  specifier: string;
  from: string;
  to: string;
}

/**
 * The layers, top first, from the line `Layers (top to bottom): a, b > c > ...` of a markdown text:
 * `>` separates layers, `,` folders of one layer. Returns the rank of each folder (0 = bottom).
 */
export function parseLayers(markdown: string): Map<string, number> {
  const line = markdown.split('\n').find((l) => l.includes('Layers (top to bottom):'));
  if (line == null) throw new Error('no line "Layers (top to bottom): ..." in the architecture text');
  const layers = line
    .slice(line.indexOf(':') + 1)
    .replaceAll('`', '')
    .split('>')
    .map((layer) =>
      layer
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    );
  const ranks = new Map<string, number>();
  layers.forEach((folders, i) => {
    for (const folder of folders) ranks.set(folder, layers.length - 1 - i);
  });
  return ranks;
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Every relative import of every .ts file under `srcDir`, as folder-to-folder edges. */
export function importGraph(srcDir: string): ImportEdge[] {
  const root = resolve(srcDir);
  const edges: ImportEdge[] = [];
  const folderOf = (path: string) => relative(root, path).split(sep)[0];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.tsx?$/.test(entry.name)) {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(IMPORT)) {
          const target = resolve(dirname(path), match[1]);
          const line = text.slice(0, match.index).split('\n').length;
          const to = relative(root, target).startsWith('..') ? '(outside src)' : folderOf(target);
          edges.push({ file: relative(root, path), line, specifier: match[1], from: folderOf(path), to });
        }
      }
    }
  };
  walk(root);
  return edges;
}

/** The edges that break the layer rule, each as one readable line. */
export function layerViolations(edges: readonly ImportEdge[], ranks: ReadonlyMap<string, number>): string[] {
  const out: string[] = [];
  for (const e of edges) {
    if (e.from === e.to) continue;
    const from = ranks.get(e.from);
    const to = ranks.get(e.to);
    const where = `src/${e.file}:${e.line} imports '${e.specifier}'`;
    if (from == null) out.push(`${where}: folder ${e.from}/ is in no layer of docs/architecture.md`);
    else if (to == null) out.push(`${where}: ${e.to} is in no layer of docs/architecture.md`);
    else if (to >= from)
      out.push(
        `${where}: ${e.from}/ (layer ${from}) may import only from layers below it, ${e.to}/ is layer ${to}`,
      );
  }
  return out;
}
