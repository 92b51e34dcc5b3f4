#!/usr/bin/env node
// Entry point: TypeScript sources run through tsx, so there is no build step between a checkout and a run.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
