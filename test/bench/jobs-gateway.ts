// The gateway alone, as its own process, for bench:jobs: the production composition (core/http.ts + mountGateway)
// on a data dir and inventory given as arguments; prints its port. Usage: jobs-gateway.ts DATA_DIR INVENTORY SECRET.
import { parseConfig } from '../../core/config.js';
import { createHttpApp, finishApp, listen } from '../../core/http.js';
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
const server = await listen(app, 0, '127.0.0.1');
console.log(String(server.port));
process.once('SIGTERM', () => { void server.close().then(() => gw.stop()).finally(() => process.exit(0)); });
