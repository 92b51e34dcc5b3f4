import { buildCatalog } from '../../core/catalog.js';
import { loadConfig } from '../../core/config.js';
import { loadInventory } from '../../core/inventory.js';
import type { FaultTransition } from '../../core/model.js';
import { writeOutboxDir } from '../../analyzer/alerting/eml.js';
import { replayFile } from '../../analyzer/replay.js';
import { loadWhitelist } from '../../analyzer/whitelist-file.js';
import type { Command } from '../command.js';

export const analyzeCommand: Command = {
  usage: 'vipwatch analyze --inventory FILE --results FILE.jsonl [--whitelist FILE] [--outbox DIR] [--config FILE]',
  options: {
    inventory: { type: 'string', short: 'i' }, results: { type: 'string', short: 'r' }, whitelist: { type: 'string', short: 'w' },
    outbox: { type: 'string' }, config: { type: 'string', short: 'c' },
  },
  async run(v) {
    for (const k of ['inventory', 'results'] as const) {
      if (typeof v[k] !== 'string') {
        console.error(`vipwatch analyze: --${k} FILE is required\nusage: ${this.usage}`);
        return 2;
      }
    }
    // Rules and the minute length come from the config (defaults when no file): replay runs what the live analyzer runs.
    const cfg = loadConfig(v.config as string | undefined);
    const catalog = buildCatalog(loadInventory(v.inventory as string));
    const whitelist = typeof v.whitelist === 'string' ? loadWhitelist(v.whitelist) : [];
    const outbox = typeof v.outbox === 'string' ? v.outbox : undefined;
    const transitions: FaultTransition[] = [];
    const r = await replayFile(v.results as string, {
      catalog, rules: cfg.analyzer.rules, minuteMs: cfg.minuteSec * 1000, whitelist,
      onMinute: outbox ? (o) => { transitions.push(...o.transitions); } : undefined,
    });
    process.stdout.write(r.episodes.map((e) => JSON.stringify(e) + '\n').join(''));
    if (outbox) await writeOutboxDir(outbox, transitions, { config: cfg, catalog, lastMinute: r.lastMinute ?? undefined });
    return 0;
  },
};
