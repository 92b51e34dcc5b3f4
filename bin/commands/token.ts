import { loadConfig } from '../../core/config.js';
import { resolveSecret } from '../../gateway/tokens.js';
import { tokenFor } from '../../gateway/tokens.js';
import type { Command } from '../command.js';

export const tokenCommand: Command = {
  usage: 'vipwatch token [--config FILE] HOST',
  options: { config: { type: 'string', short: 'c' } },
  positionals: true,
  async run(v, args) {
    if (args.length !== 1) {
      console.error('vipwatch token: give exactly one HOST');
      return 2;
    }
    const cfg = loadConfig(v.config as string | undefined);
    console.log(tokenFor(resolveSecret(cfg.secret, cfg.dataDir), args[0]!));
    return 0;
  },
};
