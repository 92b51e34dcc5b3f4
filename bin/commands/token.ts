// `vipwatch token HOST`: the agent token of HOST's current generation; --rotate moves HOST to a new generation and
// prints its token, --revoke does the same without printing one. Either way the old token is refused by every
// gateway within agentTokens.refreshSec (they share the generations through the admin store).
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { createAdminStore } from '../../core/store/admin-backends.js';
import { resolveSecret, tokenFor } from '../../gateway/tokens.js';
import type { Command } from '../command.js';

export const tokenCommand: Command = {
  usage: 'vipwatch token [--config FILE] [--rotate | --revoke] HOST',
  options: { config: { type: 'string', short: 'c' }, rotate: { type: 'boolean' }, revoke: { type: 'boolean' } },
  positionals: true,
  async run(v, args) {
    if (args.length !== 1 || (v.rotate && v.revoke)) {
      console.error('vipwatch token: give exactly one HOST, and at most one of --rotate, --revoke');
      return 2;
    }
    const host = args[0]!;
    const cfg = loadConfig(v.config as string | undefined);
    const secret = resolveSecret(cfg.secret, cfg.dataDir);
    const store = createAdminStore(cfg, createLogger(cfg.logLevel === 'info' ? 'warn' : cfg.logLevel, 'token'));
    await store.init();
    try {
      if (v.rotate || v.revoke) {
        const generation = await store.bumpAgentTokenGeneration(host);
        console.error(`${host}: token generation ${generation}; gateways refuse the previous token within ${cfg.agentTokens.refreshSec} s`);
        if (v.rotate) console.log(tokenFor(secret, host, generation));
        return 0;
      }
      console.log(tokenFor(secret, host, (await store.agentTokenGenerations()).get(host) ?? 0));
      return 0;
    } finally {
      await store.close();
    }
  },
};
