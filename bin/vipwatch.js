#!/usr/bin/env node
// Entry point: runs the compiled code in dist/ (`npm run build`, done by `npm install`/`npm ci`); no TypeScript
// compiler or loader at run time.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/bin/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('vipwatch: dist/ is missing: run `npm run build` (or `npm install`) in the project first');
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
