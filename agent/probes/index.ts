// The probe-method registry: one factory per method name. Adding a method is one file and one line here.
import type { Method } from '../../core/model.js';
import { HttpProbe } from './http.js';
import { IcmpProbe } from './icmp.js';
import type { ProbeMethod } from './method.js';
import { TcpProbe } from './tcp.js';
import { IcmpTraceroute, type PathProbe } from './traceroute.js';
import { TcpTraceroute } from './traceroute-tcp.js';

export const probeMethods: Record<Method, () => ProbeMethod> = {
  icmp: () => new IcmpProbe(),
  tcp: () => new TcpProbe(),
  http: () => new HttpProbe(),
};

/** Path methods (on-demand jobs): where the packets go rather than how long they take. */
export const pathMethods: Record<PathProbe['name'], () => PathProbe> = {
  traceroute: () => new IcmpTraceroute(),
  'tcp-traceroute': () => new TcpTraceroute(),
};

export { ProbeUnavailableError, type ProbeMethod, type ProbeTarget } from './method.js';
export type { PathProbe, TraceOptions, TracePath } from './traceroute.js';
