// Builds every registered probe method this machine can run; one it cannot (ICMP without CAP_NET_RAW) is left
// out and reported plainly, so the agent still probes the targets the others can reach.
import type { Logger } from '../core/log.js';
import type { Method } from '../core/model.js';
import { pathMethods, probeMethods, ProbeUnavailableError, type PathProbe, type ProbeMethod } from './probes/index.js';

export interface AvailableMethods {
  methods: Partial<Record<Method, ProbeMethod>>;
  /** method -> why it cannot run here */
  unavailable: Partial<Record<Method, string>>;
}

export function availableMethods(log: Logger, only?: Method[]): AvailableMethods {
  const methods: Partial<Record<Method, ProbeMethod>> = {};
  const unavailable: Partial<Record<Method, string>> = {};
  for (const [name, make] of Object.entries(probeMethods) as [Method, () => ProbeMethod][]) {
    if (only && !only.includes(name)) continue;
    try {
      methods[name] = make();
    } catch (e) {
      if (!(e instanceof ProbeUnavailableError)) throw e;
      unavailable[name] = e.message;
      log.error({ method: name }, e.message);
    }
  }
  return { methods, unavailable };
}

export const closeMethods = async (m: AvailableMethods): Promise<void> => {
  await Promise.all(Object.values(m.methods).map((p) => p.close()));
};

/** The path methods (traceroute) this machine can run; one it cannot is left out and reported, like above. */
export function availablePaths(log: Logger): Partial<Record<PathProbe['name'], PathProbe>> {
  const out: Partial<Record<PathProbe['name'], PathProbe>> = {};
  for (const [name, make] of Object.entries(pathMethods) as [PathProbe['name'], () => PathProbe][]) {
    try {
      // opened once to learn whether it can run here, then only while traces run (OnDemandPath)
      void make().close();
      out[name] = new OnDemandPath(name, make);
    } catch (e) {
      if (!(e instanceof ProbeUnavailableError)) throw e;
      log.error({ method: name }, e.message);
    }
  }
  return out;
}

/**
 * A path method opened only while a trace runs: traceroute's raw socket receives every ICMP packet of the host (the
 * probes' echo replies too) and would read and parse each one all day, for jobs that come now and then.
 */
class OnDemandPath implements PathProbe {
  #open: PathProbe | null = null;
  #active = 0;
  constructor(readonly name: PathProbe['name'], private readonly make: () => PathProbe) {}

  async trace(...args: Parameters<PathProbe['trace']>): Promise<Awaited<ReturnType<PathProbe['trace']>>> {
    const p = (this.#open ??= this.make());
    this.#active++;
    try {
      return await p.trace(...args);
    } finally {
      if (--this.#active === 0 && this.#open === p) {
        this.#open = null;
        await p.close();
      }
    }
  }

  async close(): Promise<void> {
    const p = this.#open;
    this.#open = null;
    await p?.close();
  }
}
