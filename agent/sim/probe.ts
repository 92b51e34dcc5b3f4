// The "sim" probe backend: ProbeMethod implementations (icmp, tcp, http) that ask the latency model instead of the
// network. A reply comes back at once carrying the modelled RTT: waiting the RTT out on a timer would cost CPU
// (thousands of probes a second across the fleet) and change nothing the engine counts.
import type { Method } from '../../core/model.js';
import type { Clock } from '../clock.js';
import type { ProbeMethod, ProbeTarget } from '../probes/method.js';
import type { LatencyModel } from './model.js';


export interface SimProbeDeps {
  model: LatencyModel;
  /** the source host this method probes from */
  host: string;
  clock: Clock;
  /** wall-clock ms -> sim minute (minutes since the fleet started) */
  minuteOf: (ms: number) => number;
  random: () => number;
}

export class SimProbe implements ProbeMethod {
  constructor(readonly name: Method, private readonly d: SimProbeDeps) {}

  probe(target: ProbeTarget, timeoutMs: number): Promise<number | null> {
    const path = this.d.model.path(this.d.host, target.address);
    if (!path) return Promise.resolve(null);
    const rtt = this.d.model.probe(path, this.name, this.d.minuteOf(this.d.clock.now()), this.d.random(), this.d.random());
    return Promise.resolve(rtt !== null && rtt <= timeoutMs ? rtt : null);
  }

  async close(): Promise<void> {}
}

/** One sim method per method name, for one host (the agent's `methods`). */
export const simMethods = (d: SimProbeDeps): Record<Method, ProbeMethod> => ({
  icmp: new SimProbe('icmp', d),
  tcp: new SimProbe('tcp', d),
  http: new SimProbe('http', d),
});
