// Helper for the traceroute tests, run inside the test's source namespace: traces each address with the agent's own
// traceroute (TCP SYN mode when the options carry a port, else ICMP for IPv4 or IPv6) and prints one JSON line per
// address: {"address", "ms", "hops", "reached"}.
import type { PathProbe, TraceOptions } from '../../agent/probes/traceroute.js';
import { IcmpTraceroute } from '../../agent/probes/traceroute.js';
import { TcpTraceroute } from '../../agent/probes/traceroute-tcp.js';

const [optsJson, ...addrs] = process.argv.slice(2);
const opts = JSON.parse(optsJson!) as TraceOptions;
const tracer: PathProbe = opts.port !== undefined ? new TcpTraceroute() : new IcmpTraceroute();
for (const address of addrs) {
  const t0 = performance.now();
  const path = await tracer.trace(address, opts);
  console.log(JSON.stringify({ address, ms: performance.now() - t0, ...path }));
}
await tracer.close();
