// The live analyzer as a child process for the kill-and-restart test. Argument: a JSON object
// {dataDir, inventory, t0, base, msPerMinute, lastMinute, log}. Time is virtual: one minute every msPerMinute ms of
// real time since `base` (0: from now), never past lastMinute. It appends {"start"}, {"listened"}, {"committed"} and
// {"resaved"} (the clean shutdown's latency checkpoint parts) lines to `log`.
import { appendFileSync } from 'node:fs';
import { buildCatalog } from '../../core/catalog.js';
import { loadInventory } from '../../core/inventory.js';
import type { AnalyzerCheckpoint, EpisodeEvent } from '../../core/store/faults.js';
import type { FaultEpisode } from '../../core/model.js';
import { LiveAnalyzer } from '../../analyzer/live.js';
import { engineFor, silentLog, stores } from './live-support.js';

const a = JSON.parse(process.argv[2]!) as { dataDir: string; inventory: string; t0: number; base: number; msPerMinute: number; lastMinute: number; log: string };
const note = (o: object) => appendFileSync(a.log, JSON.stringify(o) + '\n');
const { series, faults } = stores(a.dataDir);
await series.init();
await faults.init();
const commit = faults.commitMinute.bind(faults);
// a commit of the minute already committed is the clean shutdown's save of the latency checkpoint parts
let lastCommitted = (await faults.checkpoint())?.minute ?? null;
faults.commitMinute = async (eps: Array<{ episode: FaultEpisode; events: EpisodeEvent[] }>, cp: AnalyzerCheckpoint) => {
  await commit(eps, cp);
  if (cp.minute === lastCommitted) note({ resaved: cp.minute, parts: Object.keys(cp.parts ?? {}).length, episodes: eps.length });
  else note({ committed: cp.minute });
  lastCommitted = cp.minute;
};
// base 0: the clock starts now (the first run), and the restart is given the same base
const base = a.base || Date.now();
note({ start: (await faults.checkpoint())?.minute ?? null, base });
const now = () => Math.min(a.t0 + ((Date.now() - base) / a.msPerMinute) * 60_000, a.t0 + (a.lastMinute + 1) * 60_000);
const live = new LiveAnalyzer({
  engine: engineFor(buildCatalog(loadInventory(a.inventory))), series, faults, whitelist: async () => [], graceSec: 0, log: silentLog,
  now, retryMs: 20, maxSleepMs: 20, listeners: [(minute) => note({ listened: minute })],
});
live.start();
process.once('SIGTERM', () => { void live.stop().then(() => process.exit(0)); });
