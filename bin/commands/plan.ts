import { loadInventory } from '../../core/inventory.js';
import { plan } from '../../gateway/plan.js';
import type { Command } from '../command.js';

export const planCommand: Command = {
  usage: 'vipwatch plan --inventory FILE [--redundancy K]',
  options: { inventory: { type: 'string', short: 'i' }, redundancy: { type: 'string', short: 'k' } },
  async run(v) {
    if (typeof v.inventory !== 'string') {
      console.error('vipwatch plan: --inventory FILE is required');
      return 2;
    }
    const k = v.redundancy === undefined ? 1 : Number(v.redundancy);
    if (!Number.isInteger(k) || k < 1) {
      console.error(`vipwatch plan: --redundancy must be a positive integer, got ${JSON.stringify(v.redundancy)}`);
      return 2;
    }
    process.stdout.write(JSON.stringify(plan(loadInventory(v.inventory), { redundancy: k })) + '\n');
    return 0;
  },
};
