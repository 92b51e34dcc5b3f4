import { resolve } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { provisioningFiles, writeFiles } from '../../grafana/export.js';
import type { Command } from '../command.js';

const usage = 'vipwatch grafana export --out DIR [--config FILE] [--grafana-path PATH] [--gazetteer-url URL]';

export const grafanaCommand: Command = {
  usage,
  options: {
    out: { type: 'string', short: 'o' },
    config: { type: 'string', short: 'c' },
    'grafana-path': { type: 'string' },
    'gazetteer-url': { type: 'string' },
  },
  positionals: true,
  async run(v, positionals) {
    if (positionals.length !== 1 || positionals[0] !== 'export') {
      console.error(`vipwatch grafana: expected the subcommand "export", got ${JSON.stringify(positionals.join(' '))}\nusage: ${usage}`);
      return 2;
    }
    if (typeof v.out !== 'string' || v.out === '') {
      console.error(`vipwatch grafana export: --out DIR is required\nusage: ${usage}`);
      return 2;
    }
    const cfg = loadConfig(v.config as string | undefined);
    const outDir = resolve(v.out);
    const files = provisioningFiles(cfg, {
      grafanaPath: (v['grafana-path'] as string | undefined) ?? outDir,
      gazetteerUrl: v['gazetteer-url'] as string | undefined,
    });
    for (const path of writeFiles(outDir, files)) console.log(path);
    return 0;
  },
};
