#!/usr/bin/env node
// An installed package runs its build (dist/); a git checkout runs the TypeScript sources through tsx's
// loader, so `npx untangle` there needs no build step and never runs a stale dist/.
import { existsSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const built = new URL('dist/cli/main.js', root);
const checkout = existsSync(new URL('.git', root)) || !existsSync(built);
if (checkout && process.env.UNTANGLE_USE_DIST !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
} else {
  await import(built.href);
}
