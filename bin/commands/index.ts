// The command registry: one entry per command, one file per command. Commands load on demand, so `vipwatch agent`
// on a CDN host loads the agent's modules only, not the web UI's or the stores'.
import type { Command } from '../command.js';

export interface CommandEntry { summary: string; load(): Promise<Command> }

export const commands: Record<string, CommandEntry> = {
  start: { summary: 'run the whole pipeline on this machine: gateway, analyzer, alerting, web UI and a simulated fleet (embedded store by default)', load: async () => (await import('./start.js')).startCommand },
  gateway: { summary: 'run the gateway: task lists for agents, result ingest', load: async () => (await import('./gateway.js')).gatewayCommand },
  plan: { summary: 'print which host probes which VIP (the plan) for an inventory, as JSON', load: async () => (await import('./plan.js')).planCommand },
  analyze: { summary: 'replay result records (JSON Lines) through the fault rules and print one JSON line per fault episode', load: async () => (await import('./analyze.js')).analyzeCommand },
  analyzer: { summary: 'run the live analyzer: each closed minute through the fault rules, faults stored and alerted', load: async () => (await import('./analyzer.js')).analyzerCommand },
  token: { summary: "print HOST's agent token (an HMAC under the gateway secret); --rotate / --revoke end the current one", load: async () => (await import('./token.js')).tokenCommand },
  web: { summary: 'run the web UI and its API alone: board, faults, VIP pages, whitelist admin', load: async () => (await import('./web.js')).webCommand },
  user: { summary: 'manage web users (add, list, delete) and API tokens for scripts (token, token revoke)', load: async () => (await import('./user.js')).userCommand },
  agent: { summary: 'run the probe agent: pull the task list from the gateway, probe it, report results every minute', load: async () => (await import('./agent.js')).agentCommand },
  probe: { summary: "probe targets now with the agent's engine; prints one result record (JSON) per target", load: async () => (await import('./probe.js')).probeCommand },
  'demo-inventory': { summary: 'print the demo inventory (31 provinces x 3 ISPs) as YAML, to start your own from', load: async () => (await import('./demo.js')).demoCommand },
  grafana: { summary: 'write Grafana provisioning (InfluxDB data source, dashboard provider, boards, province gazetteer) to a directory', load: async () => (await import('./grafana.js')).grafanaCommand },
};
