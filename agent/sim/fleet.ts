// The simulated fleet: one real Agent per inventory host (task pull, probe engine, spool, reporter, POST
// /api/v1/results to the gateway URL, with the host's own token), probing through the "sim" backend. Only the probe
// methods are simulated; everything after them is the production path. Sim minute 0 is the minute the fleet
// started in; the incident and spikes are scheduled in sim minutes.
import { join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import type { Catalog } from '../../core/catalog.js';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import { Agent, type Scheduler } from '../agent.js';
import { periodOf, systemClock, systemTimers, type Clock, type Timers } from '../clock.js';
import { mixHash } from '../pacing.js';
import { LatencyModel, type Spike } from './model.js';
import { seededRandom } from '../../core/random.js';
import { simMethods } from './probe.js';
import { SimTraceroute } from './trace.js';

export interface SimFleetDeps {
  cfg: Config;
  catalog: Catalog;
  /** each simulated host's agent token (issued by the gateway it reports to) */
  tokenOf: (host: string) => string;
  log: Logger;
  /** fleet-level metrics go here; each agent keeps its own metrics on a private registry */
  registry: Registry;
  clock?: Clock;
  timers?: Timers;
  scheduler?: Scheduler;
  /** config file name, for errors about the sim section */
  source?: string;
}

/** What the fleet will do, in wall-clock time: for the quick-start text, logs and tests. */
export interface SimSchedule {
  epoch: number;
  minuteMs: number;
  incident: { dc: string; isps: string[]; vips: number; start: number; end: number } | null;
  /** the latency act: a detour of addMs from `isps` to the VIPs of `dc` */
  detour: { dc: string; isps: string[]; vips: number; addMs: number; start: number; end: number } | null;
  spikes: Array<Spike & { at: number }>;
}

/** A data dir per host: ids are inventory strings, so keep them to safe file-name characters. */
export const simHostDir = (dataDir: string, host: string): string => join(dataDir, 'sim', host.replace(/[^A-Za-z0-9._-]/g, '_'));

export class SimFleet {
  readonly model: LatencyModel;
  /** the hosts simulated here: eligible inventory hosts minus sim.exclude */
  readonly hosts: string[];
  readonly agents = new Map<string, Agent>();
  readonly #d: SimFleetDeps;
  readonly #clock: Clock;
  readonly #minuteMs: number;
  #epoch: number | null = null;
  readonly #running: Gauge;

  constructor(d: SimFleetDeps) {
    this.#d = d;
    this.#clock = d.clock ?? systemClock;
    this.#minuteMs = d.cfg.minuteSec * 1000;
    this.model = new LatencyModel(d.catalog, d.cfg.sim, d.source);
    const skip = new Set(d.cfg.sim.exclude);
    this.hosts = d.catalog.inventory.hosts.filter((h) => h.probe !== false && !skip.has(h.id)).map((h) => h.id).sort();
    this.#running = new Gauge({ name: 'vipwatch_sim_agents', help: 'simulated agents running in this process', registers: [d.registry] });
  }

  /** The sim minute holding wall-clock ms (minute 0 is the one the fleet started in). */
  minuteOf(ms: number): number {
    if (this.#epoch === null) throw new Error('the simulated fleet has not started');
    return Math.floor((ms - this.#epoch) / this.#minuteMs);
  }

  /** Wall-clock start of a sim minute. */
  timeOf(minute: number): number {
    if (this.#epoch === null) throw new Error('the simulated fleet has not started');
    return this.#epoch + minute * this.#minuteMs;
  }

  /** The incident and the spikes of the first `minutes` sim minutes, in wall-clock time. */
  schedule(minutes = 60): SimSchedule {
    const i = this.model.incident;
    const d = this.model.detour;
    return {
      detour: d && {
        dc: d.dc, isps: d.isps, addMs: d.addMs, vips: this.#d.catalog.inventory.vips.filter((v) => v.dc === d.dc).length,
        start: this.timeOf(d.from), end: this.timeOf(d.to),
      },
      epoch: this.timeOf(0),
      minuteMs: this.#minuteMs,
      incident: i && {
        dc: i.dc, isps: i.isps, vips: this.#d.catalog.inventory.vips.filter((v) => v.dc === i.dc).length,
        start: this.timeOf(i.from), end: this.timeOf(i.to),
      },
      spikes: this.model.spikesBetween(0, minutes).map((s) => ({ ...s, at: this.timeOf(s.minute) })),
    };
  }

  /** Starts every agent against the gateway at gatewayUrl (the same process in `vipwatch start`); each pulls its
   *  task list at once. */
  async start(gatewayUrl: string): Promise<void> {
    const { cfg, log } = this.#d;
    this.#epoch = periodOf(this.#clock.now(), this.#minuteMs);
    const agentLog = log.child({ part: 'sim' }, { level: 'warn' });
    for (const host of this.hosts) {
      const random = seededRandom(mixHash(`${cfg.sim.seed}|${host}`));
      const agent = new Agent({
        cfg: { ...cfg, agent: { ...cfg.agent, dir: simHostDir(cfg.dataDir, host) } },
        gatewayUrl,
        token: this.#d.tokenOf(host),
        methods: simMethods({ model: this.model, host, clock: this.#clock, minuteOf: (ms) => this.minuteOf(ms), random }),
        // its own draws, so a job never shifts the probes' random sequence (a run stays repeatable)
        paths: Object.fromEntries((['traceroute', 'tcp-traceroute'] as const).map((name) => [name, new SimTraceroute({
          model: this.model, host, clock: this.#clock, minuteOf: (ms) => this.minuteOf(ms), random: seededRandom(mixHash(`${cfg.sim.seed}|${host}|${name === 'traceroute' ? 'trace' : name}`)),
        }, name)])),
        clock: this.#clock,
        timers: this.#d.timers ?? systemTimers,
        log: agentLog.child({ host }),
        registry: new Registry(),
        scheduler: this.#d.scheduler,
        random,
      });
      this.agents.set(host, agent);
    }
    await Promise.all([...this.agents.values()].map((a) => a.start()));
    this.#running.set(this.agents.size);
    const s = this.schedule(30);
    log.info({
      agents: this.agents.size, epoch: new Date(s.epoch).toISOString(), minuteSec: cfg.minuteSec,
      incident: s.incident && { ...s.incident, start: new Date(s.incident.start).toISOString(), end: new Date(s.incident.end).toISOString() },
      detour: s.detour && { ...s.detour, start: new Date(s.detour.start).toISOString(), end: new Date(s.detour.end).toISOString() },
      spikes: s.spikes.map((x) => ({ minute: x.minute, group: x.group, at: new Date(x.at).toISOString() })),
    }, 'simulated fleet started');
  }

  /** Stops every agent; each sends what it measured before it returns. */
  async stop(): Promise<void> {
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
    this.agents.clear();
    this.#running.set(0);
  }
}
