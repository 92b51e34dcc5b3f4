// Path capture: when a root fault with VIPs opens (loss or latency), traceroutes from inside its scope and from
// outside it go out as on-demand jobs (through the job service: allow-list, rate limits and audit apply, requester
// "analyzer"); once they are back the diagnosis is computed (diagnose.ts, pure), kept with the episode in the fault
// store, and sent once to the fault's recipients. Runs beside the minute loop: a minute never waits for traceroutes.
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Catalog } from '../../core/catalog.js';
import type { AnalyzerConfig } from '../../core/config.js';
import type { Diagnosis, PathTrace } from '../../core/diagnosis.js';
import type { JobService } from '../../core/job-service.js';
import { isTrace } from '../../core/jobs.js';
import type { Logger } from '../../core/log.js';
import type { FaultEpisode, FaultTransition } from '../../core/model.js';
import { episodeUid, type FaultStore } from '../../core/store/faults.js';
import { diagnose, type HopNamer } from './diagnose.js';
import { planCapture } from './plan.js';

export interface PathCaptureDeps {
  jobs: Pick<JobService, 'create' | 'view'>;
  faults: Pick<FaultStore, 'setDiagnosis'>;
  catalog: () => Catalog;
  names: HopNamer;
  /** sends the diagnosis to the fault's recipients (analyzer/alerting Alerter.followUp) */
  followUp: (uid: string, fault: FaultEpisode, diagnosis: Diagnosis) => Promise<void>;
  cfg: AnalyzerConfig['analyzer']['pathCapture'];
  log: Logger;
  now: () => number;
  registry?: Registry;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class PathCapture {
  readonly #d: PathCaptureDeps;
  readonly #running = new Map<string, Promise<void>>();
  readonly #outcomes: Counter;
  readonly #seconds: Histogram;
  #stopped = false;

  constructor(d: PathCaptureDeps) {
    this.#d = d;
    const registers = d.registry ? [d.registry] : [];
    this.#outcomes = new Counter({ name: 'vipwatch_path_captures_total', help: 'path captures by outcome', labelNames: ['outcome'], registers });
    this.#seconds = new Histogram({ name: 'vipwatch_path_capture_seconds', help: 'fault open to diagnosis stored', buckets: [5, 10, 20, 40, 80, 160], registers });
  }

  /** The analyzer's minute listener: starts a capture for each root fault that opens (not awaited). */
  onMinute = (_minute: number, transitions: FaultTransition[]): void => {
    if (!this.#d.cfg.enabled || this.#stopped) return;
    for (const t of transitions) {
      const e = t.episode;
      if (t.kind !== 'open' || e.parent !== null || e.suppressed || !e.vips.length) continue;
      const uid = episodeUid(e);
      if (this.#running.has(uid)) continue;
      const p = this.capture(e).then(() => undefined, (err: Error) => {
        this.#outcomes.inc({ outcome: 'failed' });
        this.#d.log.error({ fault: uid, err: err.message }, 'path capture failed');
      }).finally(() => this.#running.delete(uid));
      this.#running.set(uid, p);
    }
  };

  /** Waits for captures under way (they end by their jobs' deadlines). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#running.values()]);
  }

  async capture(e: FaultEpisode): Promise<Diagnosis | null> {
    const { log } = this.#d;
    const uid = episodeUid(e);
    const t0 = this.#d.now();
    const plan = planCapture(e, this.#d.catalog(), this.#d.cfg);
    if (!plan) {
      this.#outcomes.inc({ outcome: 'no-sources' });
      log.info({ fault: uid }, 'path capture: no sources in the fault scope');
      return null;
    }
    const hosts = [...plan.inside, ...plan.outside];
    const jobs: string[] = [];
    for (const vip of plan.vips) {
      const made = await this.#d.jobs.create({ target: vip, method: 'traceroute', scope: { hosts }, sources: hosts.length }, 'analyzer', { purpose: `path:${uid}` });
      if (made.status === 202) jobs.push(made.job.id);
      else log.warn({ fault: uid, vip, status: made.status, err: made.error }, 'path capture: traceroute job not made');
    }
    if (!jobs.length) {
      this.#outcomes.inc({ outcome: 'refused' });
      return null;
    }
    log.info({ fault: uid, jobs, inside: plan.inside.length, outside: plan.outside.length, vips: plan.vips }, 'path capture: traceroutes requested');
    const paths = await this.#collect(jobs, new Set(plan.inside));
    const tracesAt = new Date(this.#d.now()).toISOString();
    const diagnosis = diagnose({ paths, jobs, at: new Date(this.#d.now()).toISOString(), tracesAt }, this.#d.names);
    // the episode is committed with its minute, which the capture started from; wait for it if need be
    for (let i = 0; !(await this.#d.faults.setDiagnosis(uid, diagnosis)); i++) {
      if (i >= 20) throw new Error(`episode ${uid} is not in the fault store`);
      await sleep(500);
    }
    this.#seconds.observe((this.#d.now() - t0) / 1000);
    this.#outcomes.inc({ outcome: diagnosis.kind });
    log.info({ fault: uid, diagnosis: diagnosis.text, traces: paths.length }, 'path diagnosis stored');
    await this.#d.followUp(uid, e, diagnosis);
    return diagnosis;
  }

  /** Polls the jobs until each is done; every traceroute that came back, tagged inside or outside the scope. */
  async #collect(ids: string[], inside: Set<string>): Promise<PathTrace[]> {
    const catalog = this.#d.catalog();
    const out = new Map<string, PathTrace[]>();
    for (;;) {
      let running = 0;
      for (const id of ids) {
        const view = await this.#d.jobs.view(id);
        if (!view) continue;
        if (view.status === 'running') running++;
        out.set(id, view.results.filter(isTrace).map((r) => {
          const dc = catalog.dcs.get(catalog.hosts.get(r.host)?.dc ?? '');
          return { ...r, side: inside.has(r.host) ? 'inside' : 'outside', isp: dc?.isp ?? '?', province: dc?.province ?? '?' } satisfies PathTrace;
        }));
      }
      if (!running || this.#stopped) break;
      await sleep(this.#d.cfg.pollMs);
    }
    return [...out.values()].flat();
  }
}
