// The demo's scripted story through the real rules, without wall-clock time: the sim model's probes (every demo host
// to every VIP, by each of the VIP's methods as a task list has them, 10 probes a minute) summed into records and fed
// to the engine with the configuration `vipwatch start`
// uses. The DC outage must give one loss DC fault with its VIP faults; the latency act one latency fault per VIP of
// the detoured DC, from its isp only, over its minutes; the spikes nothing. (start.test.ts checks the same story
// end to end through the real agents, gateway and web UI.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyModel } from '../../agent/sim/model.js';
import { startConfig } from '../../bin/start-config.js';
import { buildCatalog, targetsOf } from '../../core/catalog.js';
import { parseConfig } from '../../core/config.js';
import { demoInventory } from '../../core/demo.js';
import { seededRandom } from '../../core/random.js';
import type { FaultEpisode } from '../../core/model.js';
import { BatchBuilder, latencyRank } from '../../analyzer/engine/batch.js';
import { Engine } from '../../analyzer/engine/engine.js';
import { EpisodeCollector } from '../../analyzer/replay.js';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const iso = (m: number) => new Date(T0 + m * 60_000).toISOString().replace('.000Z', 'Z');

test('the demo story: a loss DC fault for the outage, a latency fault per detoured VIP, nothing for the spikes', () => {
  const cfg = startConfig(parseConfig({ dataDir: '/tmp/vipwatch-story' }, 'test'), { speed: 1, url: null });
  const catalog = buildCatalog(demoInventory());
  const model = new LatencyModel(catalog, cfg.sim);
  const engine = new Engine(catalog, { rules: cfg.analyzer.rules, minuteMs: 60_000 });
  const random = seededRandom(7);
  const hosts = catalog.inventory.hosts.map((h) => h.id);
  const vips = catalog.inventory.vips;
  const records = hosts.length * vips.reduce((n, v) => n + targetsOf(v).length, 0);
  let state = engine.initialState();
  const collector = new EpisodeCollector();
  for (let m = 0; m < 22; m++) {
    const b = new BatchBuilder(records);
    for (const host of hosts) {
      for (const vip of vips) {
        const path = model.path(host, vip.ip)!;
        // the outage's VIPs include http ones: in its minutes the few replies that get through are of any method
        for (const { method } of targetsOf(vip)) {
          let recv = 0;
          let sum = 0;
          for (let k = 0; k < 10; k++) {
            const rtt = model.probe(path, method, m, random(), random());
            if (rtt !== null) { recv++; sum += rtt; }
          }
          b.push(engine.topo.hostIndex.get(host)!, engine.topo.vipIndex.get(vip.ip)!, (100 * (10 - recv)) / 10, recv ? sum / recv : NaN, latencyRank(method));
        }
      }
    }
    const r = engine.step(state, T0 + m * 60_000, b.build());
    state = r.state;
    collector.add(r.transitions);
  }
  const episodes = collector.episodes();
  const outage = model.incident!;
  const detour = model.detour!;
  const detoured = catalog.inventory.vips.filter((v) => v.dc === detour.dc).map((v) => v.ip).sort();
  const lossRoots = episodes.filter((e) => e.signal === 'loss' && e.parent === null);
  assert.deepEqual(lossRoots.map((e) => [e.id, e.start]), [[`dc:${outage.dc}`, iso(outage.from)]]);
  const latency: FaultEpisode[] = episodes.filter((e) => e.signal === 'latency');
  assert.deepEqual(latency.map((e) => e.key).sort(), detoured);
  for (const e of latency) {
    assert.deepEqual([e.type, e.isps, e.dcs, e.parent, e.start, e.end], ['vip', [...detour.isps], [detour.dc], null, iso(detour.from), iso(detour.to)]);
    assert.equal(e.provinces.length, 31, 'slow from every province of the detoured isp');
  }
  assert.equal(episodes.length, 1 + 8 + detoured.length, 'nothing else: the spikes open no fault');
});
