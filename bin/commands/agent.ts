// `vipwatch agent`: runs on a CDN host; pulls its task list from the gateway, probes it, reports every minute.
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Agent } from '../../agent/agent.js';
import { systemClock, systemTimers } from '../../agent/clock.js';
import { availableMethods, availablePaths, closeMethods } from '../../agent/methods.js';
import { NativeEngine } from '../../agent/native-engine.js';
import { serveMetrics } from '../../agent/metrics.js';
import type { Command } from '../command.js';
import { untilSignal } from '../lifecycle.js';

export const agentCommand: Command = {
  usage: 'vipwatch agent --gateway URL --token TOKEN [--config FILE]   (token: `vipwatch token HOST` on the gateway; or VIPWATCH_AGENT_GATEWAY, VIPWATCH_AGENT_TOKEN)',
  options: { gateway: { type: 'string', short: 'g' }, token: { type: 'string', short: 't' }, config: { type: 'string', short: 'c' } },
  async run(v) {
    const gateway = (v.gateway as string | undefined) ?? process.env.VIPWATCH_AGENT_GATEWAY;
    const token = (v.token as string | undefined) ?? process.env.VIPWATCH_AGENT_TOKEN;
    if (!gateway || !/^https?:\/\/[^/]/.test(gateway)) {
      console.error(`vipwatch agent: --gateway ${JSON.stringify(gateway ?? '')}: expected the gateway's URL (or VIPWATCH_AGENT_GATEWAY), e.g. http://gateway:8080\nusage: ${agentCommand.usage}`);
      return 2;
    }
    if (!token) {
      console.error(`vipwatch agent: --token is required (or VIPWATCH_AGENT_TOKEN)\nusage: ${agentCommand.usage}`);
      return 2;
    }
    const cfg = loadConfig(v.config as string | undefined);
    const log = createLogger(cfg.logLevel, 'agent');
    const registry = new Registry();
    // process metrics only when someone can scrape them (agent.metricsPort): their GC observer and event-loop
    // sampler cost CPU and memory on every host. Event-loop delay every 500 ms instead of 10 ms: on a VM each
    // wake-up costs ~0.1 ms of CPU, so 100 a second would cost the agent more than its probing does.
    if (cfg.agent.metricsPort !== undefined) collectDefaultMetrics({ register: registry, prefix: 'vipwatch_', eventLoopMonitoringPrecision: 500 });
    const available = availableMethods(log);
    const paths = availablePaths(log);
    const agent = new Agent({
      cfg, gatewayUrl: gateway.replace(/\/+$/, ''), token, methods: available.methods, paths, clock: systemClock, timers: systemTimers, log, registry,
      offload: cfg.agent.schedule === 'native' ? NativeEngine.open : undefined,
    });
    const server = cfg.agent.metricsPort === undefined ? null : await serveMetrics(registry, cfg.agent.metricsPort, '127.0.0.1');
    if (server) log.info({ url: `http://127.0.0.1:${server.port}/metrics` }, 'agent metrics');
    await agent.start();
    const sig = await untilSignal();
    log.info({ signal: sig }, 'stopping: sending what was measured');
    await agent.stop();
    await closeMethods(available);
    await Promise.all(Object.values(paths).map((p) => p.close()));
    await server?.close();
    return 0;
  },
};
