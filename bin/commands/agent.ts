// `vipwatch agent`: runs on a CDN host; pulls its task list from the gateway, probes it, reports every minute.
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/log.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Agent } from '../../agent/agent.js';
import { systemClock, systemTimers } from '../../agent/clock.js';
import { availableMethods, availablePaths, closeMethods } from '../../agent/methods.js';
import { NativeEngine } from '../../agent/native-engine.js';
import { serveMetrics } from '../../agent/metrics.js';
import { PageRelease } from '../../agent/page-release.js';
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
    // start-up's pages of node's binary, given back once probing runs and once the first minute has gone out
    const pages = cfg.agent.releasePagesSec > 0
      ? PageRelease.open({ timers: systemTimers, log, settleMs: 2 * cfg.minuteSec * 1000 + cfg.agent.timeoutMs + 5000, everyMs: cfg.agent.releasePagesSec * 1000 })
      : null;
    pages?.start();
    const sig = await untilSignal();
    log.info({ signal: sig }, 'stopping: sending what was measured');
    pages?.stop();
    await agent.stop();
    await closeMethods(available);
    await Promise.all(Object.values(paths).map((p) => p.close()));
    await server?.close();
    return 0;
  },
};
