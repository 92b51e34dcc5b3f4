import { stringify } from 'yaml';
import { demoInventory } from '../../core/demo.js';
import type { Command } from '../command.js';

export const demoCommand: Command = {
  usage: 'vipwatch demo-inventory [--dcs-per-group N] [--hosts-per-dc N] [--vip-dcs N] [--vips-per-dc N] [--businesses N] [--json]',
  options: {
    'dcs-per-group': { type: 'string' }, 'hosts-per-dc': { type: 'string' }, 'vip-dcs': { type: 'string' },
    'vips-per-dc': { type: 'string' }, businesses: { type: 'string' }, json: { type: 'boolean' },
  },
  async run(v) {
    const num = (k: string) => (v[k] === undefined ? undefined : Number(v[k]));
    const inv = demoInventory({
      dcsPerGroup: num('dcs-per-group'), hostsPerDc: num('hosts-per-dc'), vipDcs: num('vip-dcs'),
      vipsPerDc: num('vips-per-dc'), businesses: num('businesses'),
    });
    const { isps: _isps, ...shape } = inv;
    process.stdout.write(v.json ? JSON.stringify(shape, null, 1) + '\n' : stringify(shape));
    return 0;
  },
};
