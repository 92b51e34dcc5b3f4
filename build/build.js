#!/usr/bin/env node
// `npm run build`: compiles every part to dist/ (tsc, tsconfig.build.json) and copies the files the code reads at
// run time next to the compiled code, at the same relative places as in the source tree (web/assets, core/data,
// sql/), so source and dist resolve them the same way. Incremental: only changed files are written again.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
for (const dir of ['web/assets', 'core/data', 'sql']) {
  if (existsSync(join(root, dir))) cpSync(join(root, dir), join(root, 'dist', dir), { recursive: true });
}
if (r.status !== 0) {
  console.error('build: tsc reported errors (above); dist/ was written but may be inconsistent');
  process.exit(r.status ?? 1);
}
