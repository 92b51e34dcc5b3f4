// The gateway alone, as its own process, for bench:jobs: the production composition (core/http.ts + mountGateway)
// on a data dir and inventory given as arguments; prints its port. Usage: jobs-gateway.ts DATA_DIR INVENTORY SECRET.
import { parseConfig } from '../../core/config.js';
import { createServer } from 'node:http';
import { createHttpApp, finishApp } from '../../core/http.js';
import { createLogger } from '../../core/log.js';
import { createRegistry } from '../../core/metrics.js';
import { mountGateway } from '../../gateway/compose.js';

const [dataDir, inventory, secret] = process.argv.slice(2);
const cfg = parseConfig({ dataDir, inventory, secret, logLevel: 'silent', probes: { pollMs: 1000 } }, 'bench gateway');
const log = createLogger('silent');
const registry = createRegistry();
const app = createHttpApp(log, registry, {});
const gw = mountGateway(app, cfg, log, registry, {});
finishApp(app, log);
// a deep accept queue: thousands of agents connect within seconds (the default backlog, 511, drops SYNs)
const server = createServer(app);
await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 16_384 }, resolve));
console.log(String((server.address() as { port: number }).port));
process.once('SIGTERM', () => { server.closeAllConnections(); server.close(); void gw.stop().finally(() => process.exit(0)); });
