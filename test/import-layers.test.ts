import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT, tempDir } from './helpers/cli.ts';
import { importGraph, layerViolations, parseLayers } from './helpers/import-layers.ts';

const architecture = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');

describe('import layers (docs/architecture.md)', () => {
  it('every import of src/ points down the layers written in docs/architecture.md', () => {
    const ranks = parseLayers(architecture);
    const edges = importGraph(join(ROOT, 'src'));
    assert.ok(edges.length > 300, `read ${edges.length} imports`);
    assert.deepEqual(layerViolations(edges, ranks), []);
  });

  it('parses the layer line: top first, commas share a layer', () => {
    const ranks = parseLayers('text\nLayers (top to bottom): `cli, server > train > math`\n');
    assert.deepEqual(Object.fromEntries(ranks), { cli: 2, server: 2, train: 1, math: 0 });
  });

  it('flags an upward import, an import within one layer, and a folder in no layer', () => {
    const src = join(tempDir('layers'), 'src');
    const files: Record<string, string> = {
      'math/a.ts': "import { b } from '../nets/b.ts';\n", // up
      'nets/b.ts': "import type { c } from '../models/c.ts';\nimport { m } from '../math/m.ts';\n", // up, down
      'models/c.ts': "export const c = 1;\nconst later = await import('./d.ts');\n", // own folder
      'models/d.ts': "import { t } from '../train/t.ts';\n", // same layer as train
      'train/t.ts': "import { z } from '../extra/z.ts';\n", // unlisted folder
      'math/m.ts': 'export const m = 1;\n',
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(src, path, '..'), { recursive: true });
      writeFileSync(join(src, path), text);
    }
    const ranks = parseLayers('Layers (top to bottom): models, train > nets > math');
    const found = layerViolations(importGraph(src), ranks).sort();
    assert.equal(found.length, 4, found.join('\n'));
    assert.match(found[0], /^src\/math\/a\.ts:1 imports '\.\.\/nets\/b\.ts': math\/ \(layer 0\)/);
    assert.match(found[1], /^src\/models\/d\.ts:1 .*models\/ \(layer 2\) .* train\/ is layer 2/);
    assert.match(found[2], /^src\/nets\/b\.ts:1 .*models\/ is layer 2/);
    assert.match(found[3], /^src\/train\/t\.ts:1 .*extra is in no layer/);
  });
});
