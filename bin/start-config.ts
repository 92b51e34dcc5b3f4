// How `vipwatch start` adapts the configuration. Pure: config in, config out.
// --speed N compresses time: a minute lasts minuteSec / N seconds, and every period counted in real seconds that
// belongs to the minute's story (the analyzer's grace, reminders, the board's refresh, the agents' tick) shrinks with
// it; the tick no lower than 50 ms, as the simulated fleet's engines all run in this one process.
// With the simulated fleet, alert messages also need somewhere visible to go when no channel is configured.
import { join, resolve } from 'node:path';
import { parseDuration } from '../analyzer/alerting/duration.js';
import { alertingSchema, type Config } from '../core/config.js';
import { ValidationError } from '../core/errors.js';

/** --speed: a whole factor that divides the minute, so a minute stays a whole number of seconds. */
export function parseSpeed(raw: string | undefined, minuteSec: number): number {
  if (raw === undefined) return 1;
  const speed = Number(raw);
  if (!Number.isInteger(speed) || speed < 1 || minuteSec % speed !== 0) {
    const ok = Array.from({ length: minuteSec }, (_, i) => i + 1).filter((n) => minuteSec % n === 0);
    throw new ValidationError([{ file: 'command line', field: '--speed', message: `expected a whole number that divides the ${minuteSec} s minute (one of ${ok.join(', ')}) (value ${JSON.stringify(raw)})` }]);
  }
  return speed;
}

/** Whether `start` runs the simulated fleet: config sim.enabled, else on exactly when no inventory file is set. */
export const simEnabled = (cfg: Config): boolean => cfg.sim.enabled ?? !cfg.inventory;

const DEFAULT_WEB_URL = alertingSchema.parse({}).webUrl;
/** the shortest tick of a sped-up fleet: its ~372 engines wake in one process */
const DEMO_TICK_FLOOR_MS = 50;

export interface StartOptions {
  speed: number;
  /** where the UI will be served (links in alert messages point here unless alerting.webUrl was set) */
  url: string | null;
}

export function startConfig(cfg: Config, o: StartOptions): Config {
  const s = o.speed;
  const a = cfg.alerting;
  const noChannel = !a.smtp && !a.webhooks.length && !a.emlDir;
  const r = cfg.analyzer.rules;
  // the simulated fleet starts from an empty store: a day's baseline would keep its latency act from being judged
  const rules = simEnabled(cfg)
    ? { ...r, baselineMinutes: Math.min(r.baselineMinutes, cfg.sim.latency.baselineMinutes), baselineMinSamples: Math.min(r.baselineMinSamples, cfg.sim.latency.baselineMinSamples) }
    : r;
  return {
    ...cfg,
    minuteSec: cfg.minuteSec / s,
    agent: { ...cfg.agent, tickMs: Math.min(cfg.agent.tickMs, Math.max(DEMO_TICK_FLOOR_MS, Math.round(cfg.agent.tickMs / s))) },
    analyzer: { ...cfg.analyzer, graceSec: cfg.analyzer.graceSec / s, rules },
    web: { ...cfg.web, board: { ...cfg.web.board, refreshSec: Math.max(1, cfg.web.board.refreshSec / s) } },
    alerting: {
      ...a,
      reminderInterval: s === 1 ? a.reminderInterval : `${Math.round(parseDuration(a.reminderInterval) / s)}ms`,
      webUrl: a.webUrl === DEFAULT_WEB_URL && o.url ? (cfg.web.url ?? o.url) : a.webUrl,
      // the demo's messages become .eml files the outbox page lists and a newcomer can open
      emlDir: a.emlDir ?? (noChannel && simEnabled(cfg) ? resolve(join(cfg.dataDir, 'mail')) : undefined),
    },
  };
}
