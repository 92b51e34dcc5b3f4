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
    const text = JSON.stringify(plan(loadInventory(v.inventory), { redundancy: k })) + '\n';
    // `vipwatch plan | head` closes the pipe early: that ends the command quietly, as it does for other tools
    const closed = new Promise<number>((resolve) => {
      process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') resolve(0); else throw e; });
    });
    const done = new Promise<number>((resolve) => process.stdout.write(text, () => resolve(0)));
    return Promise.race([closed, done]);
  },
};
