// The command registry: one entry per command, one file per command.
import type { Command } from '../command.js';
import { demoCommand } from './demo.js';
import { gatewayCommand, startCommand } from './gateway.js';
import { planCommand } from './plan.js';
import { tokenCommand } from './token.js';

export const commands: Record<string, Command> = {
  start: startCommand,
  gateway: gatewayCommand,
  plan: planCommand,
  token: tokenCommand,
  'demo-inventory': demoCommand,
};
