// Helper for traceroute.test.ts, run inside the test's source namespace: traces each address with the agent's own
// traceroute and prints one JSON line per address: {"address", "ms", "hops", "reached"}.
import { IcmpTraceroute } from '../../agent/probes/traceroute.js';

const [opts, ...addrs] = process.argv.slice(2);
const tracer = new IcmpTraceroute();
for (const address of addrs) {
  const t0 = performance.now();
  const path = await tracer.trace(address, JSON.parse(opts!));
  console.log(JSON.stringify({ address, ms: performance.now() - t0, ...path }));
}
await tracer.close();
