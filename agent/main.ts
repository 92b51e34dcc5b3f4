// The agent's own entry point, for the systemd unit: `node --import tsx agent/main.ts --gateway URL --token T`.
// It runs the same command as `vipwatch agent` but loads only the agent's modules, not every command's
// (web, stores, grafana...): about 50 MB less resident memory on each CDN host.
import { parseArgs } from 'node:util';
import { ValidationError } from '../core/errors.js';
import { agentCommand } from '../bin/commands/agent.js';

let values: Parameters<typeof agentCommand.run>[0];
try {
  values = parseArgs({ args: process.argv.slice(2), options: agentCommand.options, strict: true }).values as typeof values;
} catch (e) {
  console.error(`vipwatch agent: ${(e as Error).message}\nusage: ${agentCommand.usage}`);
  process.exit(2);
}
try {
  process.exitCode = await agentCommand.run(values, []);
} catch (e) {
  console.error(`vipwatch agent: ${e instanceof ValidationError ? `invalid input:\n${e.message}` : ((e as Error).stack ?? e)}`);
  process.exitCode = e instanceof ValidationError ? 2 : 1;
}
