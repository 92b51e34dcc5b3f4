// A real agent for the path drill, run inside a source namespace: the production Agent with the real ICMP probe
// and traceroute (raw sockets), pulling its tasks from the gateway and polling it for jobs.
// Usage: node --import tsx test/drills/path-agent.ts GATEWAY_URL TOKEN DIR MINUTE_SEC; prints "ready".
import { Registry } from 'prom-client';
import { Agent } from '../../agent/agent.js';
import { systemClock, systemTimers } from '../../agent/clock.js';
import { availableMethods, availablePaths } from '../../agent/methods.js';
import { parseConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';

const [gatewayUrl, token, dir, minuteSec] = process.argv.slice(2);
const cfg = parseConfig({ minuteSec: Number(minuteSec), logLevel: 'warn', agent: { dir, timeoutMs: 1000, pullIntervalSec: 60, pullRetrySec: 1 } }, 'path drill agent');
const log = createLogger('warn', 'path-agent');
const methods = availableMethods(log, ['icmp']);
const paths = availablePaths(log);
const agent = new Agent({ cfg, gatewayUrl: gatewayUrl!, token: token!, methods: methods.methods, paths, clock: systemClock, timers: systemTimers, log, registry: new Registry() });
await agent.start();
console.log('ready');
for (const s of ['SIGINT', 'SIGTERM'] as const) {
  process.once(s, () => {
    void agent.stop().finally(() => process.exit(0));
  });
}
