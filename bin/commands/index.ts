// The command registry: one entry per command, one file per command.
import type { Command } from '../command.js';
import { agentCommand } from './agent.js';
import { analyzeCommand } from './analyze.js';
import { analyzerCommand } from './analyzer.js';
import { demoCommand } from './demo.js';
import { gatewayCommand } from './gateway.js';
import { grafanaCommand } from './grafana.js';
import { planCommand } from './plan.js';
import { probeCommand } from './probe.js';
import { startCommand } from './start.js';
import { tokenCommand } from './token.js';
import { userCommand } from './user.js';
import { webCommand } from './web.js';

export const commands: Record<string, Command> = {
  start: startCommand,
  gateway: gatewayCommand,
  plan: planCommand,
  analyze: analyzeCommand,
  analyzer: analyzerCommand,
  token: tokenCommand,
  web: webCommand,
  user: userCommand,
  agent: agentCommand,
  probe: probeCommand,
  'demo-inventory': demoCommand,
  grafana: grafanaCommand,
};
