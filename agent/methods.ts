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
      out[name] = make();
    } catch (e) {
      if (!(e instanceof ProbeUnavailableError)) throw e;
      log.error({ method: name }, e.message);
    }
  }
  return out;
}
