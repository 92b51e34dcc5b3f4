import { loadConfig } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import { mountGateway } from '../../gateway/compose.js';
import type { Command } from '../command.js';
import { untilSignal } from '../lifecycle.js';

async function runGateway(configFile: string | undefined, port: string | undefined): Promise<number> {
  const cfg = loadConfig(configFile, process.env, port !== undefined ? { port: Number(port) } : {});
  const log = createLogger(cfg.logLevel, 'gateway');
  const registry = createRegistry();
  const checks = {};
  const app = createHttpApp(log, registry, checks);
  const gw = mountGateway(app, cfg, log, registry, { checks });
  finishApp(app, log, cfg.ingest.retryAfterSec);
  const server = await listen(app, cfg.port, cfg.bind);
  log.info({ url: `http://${cfg.bind}:${server.port}` }, 'gateway listening');
  const sig = await untilSignal();
  log.info({ signal: sig }, 'stopping');
  await server.close();
  await gw.stop();
  return 0;
}

const options = { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' } } as const;

export const gatewayCommand: Command = {
  usage: 'vipwatch gateway [--config FILE] [--port N]',
  options,
  run: (v) => runGateway(v.config as string | undefined, v.port as string | undefined),
};
