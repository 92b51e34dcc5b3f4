// `vipwatch-agent`: the agent command alone, the entry of the agent package (build/package-agent.js bundles it with
// esbuild). Same options and behaviour as `vipwatch agent`; importing nothing else keeps the bundle to the agent.
import { runCommand } from './command.js';
import { agentCommand } from './commands/agent.js';

process.exitCode = await runCommand('vipwatch-agent', 'the vipwatch probe agent: pulls its task list from the gateway, probes it, reports every minute', agentCommand, process.argv.slice(2));
