// Helper for icmp-fping.test.ts, run inside the test's namespace: probes each address COUNT times, PERIOD ms apart,
// with the agent's own ICMP method, and prints every RTT as fping -C does ("ADDR : 20.153 - 20.201 ...").
import { IcmpProbe } from '../../agent/probes/icmp.js';

const [count, period, timeout, ...addrs] = process.argv.slice(2);
const probe = new IcmpProbe();
const rtts = await Promise.all(addrs.map(async (address, i) => {
  await new Promise((r) => setTimeout(r, (Number(period) * i) / addrs.length));
  const out: Promise<number | null>[] = [];
  for (let k = 0; k < Number(count); k++) {
    out.push(probe.probe({ address }, Number(timeout)));
    await new Promise((r) => setTimeout(r, Number(period)));
  }
  return Promise.all(out);
}));
await probe.close();
addrs.forEach((a, i) => console.log(`${a} : ${rtts[i]!.map((r) => (r === null ? '-' : r.toFixed(3))).join(' ')}`));
