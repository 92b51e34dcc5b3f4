// The plain-text lines `vipwatch start` prints on stdout for a newcomer: where the UI is, how to log in, what the
// simulated fleet and its scripted incident will do and when. Pure: it formats what it is given.
import type { SimSchedule } from '../agent/sim/fleet.js';
import type { Config } from '../core/config.js';
import { API_READS_OPEN } from '../web/compose.js';

export interface QuickStart {
  cfg: Config;
  url: string;
  /** web.hintText(url): how to log in */
  login: string;
  speed: number;
  sim: { agents: number; schedule: SimSchedule } | null;
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19) + 'Z';

/** When the analyzer will confirm and close an incident of bad minutes [from, to), by the configured rules. */
export function expectedTimes(cfg: Config, s: SimSchedule): { detected: number; closed: number } | null {
  const i = s.incident;
  const r = cfg.analyzer.rules;
  if (!i) return null;
  const bad = Math.round((i.end - i.start) / s.minuteMs);
  if (bad < r.smoothNeed) return null;
  const grace = cfg.analyzer.graceSec * 1000;
  // confirmed in the minute that brings smoothNeed bad minutes; closed in the minute by which recoverMinutes clean
  // minutes have passed and fewer than smoothNeed bad ones are left in the window (each evaluated after its grace)
  const detected = i.start + r.smoothNeed * s.minuteMs + grace;
  const closed = i.end + (Math.max(r.recoverMinutes - 1, r.smoothWindow - r.smoothNeed) + 1) * s.minuteMs + grace;
  return { detected, closed };
}

export function quickStartText(q: QuickStart): string {
  const { cfg } = q;
  const lines = [
    '',
    `vipwatch is running: gateway, analyzer, alerting and web UI in one process (data in ${cfg.dataDir})`,
    `  Web UI      ${q.url}/board   (faults: ${q.url}/faults, alert messages: ${q.url}/outbox)`,
    `  Log in      ${q.login.replace(/^web UI: /, '')}`,
    `  Speed       ${q.speed}x: a minute lasts ${cfg.minuteSec} s`,
  ];
  const a = cfg.alerting;
  const channels = [a.smtp ? `email via ${a.smtp.host}:${a.smtp.port}` : '', a.emlDir ? `.eml files in ${a.emlDir}` : '', ...a.webhooks.map((w) => `webhook ${w.name}`)].filter(Boolean);
  if (!cfg.web.apiReadAuth) lines.push(`  Access      ${API_READS_OPEN}`);
  lines.push(`  Alerts      ${channels.length ? channels.join('; ') : 'no channel configured: alert messages are not delivered (set alerting.smtp, alerting.webhooks or alerting.emlDir)'}`);
  if (!q.sim) {
    lines.push('  Agents      no simulated fleet (sim.enabled is false, or an inventory file is set): start real agents with');
  } else {
    const s = q.sim.schedule;
    lines.push(`  Simulated   ${q.sim.agents} agents (probe backend "sim": latency from province distance and ISP crossings) report through this gateway's API`);
    const i = s.incident;
    if (i) {
      const at = expectedTimes(cfg, s);
      lines.push(`  Incident    scripted DC outage: from ${clock(i.start)} to ${clock(i.end)} DC ${i.dc} (${i.vips} VIPs) loses ~${cfg.sim.incident.lossPct}% of the packets from isps ${i.isps.join(', ')}`);
      if (at) lines.push(`              expect the DC fault (with its VIP faults) to open and alert around ${clock(at.detected)}, and to close around ${clock(at.closed)}`);
    }
    const d = s.detour;
    if (d) {
      lines.push(`  Latency     scripted routing detour: from ${clock(d.start)} to ${clock(d.end)} the probes from isps ${d.isps.join(', ')} to DC ${d.dc} (${d.vips} VIPs) take ${d.addMs} ms longer`);
      const at = expectedTimes(cfg, { ...s, incident: { ...d, vips: d.vips } });
      if (at) lines.push(`              expect ${d.vips} VIP latency faults ("slow", above their own baselines) around ${clock(at.detected)}, closing around ${clock(at.closed)}; the board's DC view marks the cells slow`);
    }
    if (s.spikes.length) lines.push(`  Spikes      one province x ISP group has a single bad minute every ${cfg.sim.spikes.everyMinutes} minutes (first at ${clock(s.spikes[0]!.at)}, ${s.spikes[0]!.group}); the analyzer must not open a fault for them`);
    lines.push('  Real agents can join too:');
  }
  lines.push(`              npx vipwatch token HOST   then   npx vipwatch agent --gateway ${q.url} --token TOKEN`);
  lines.push('  Stop        Ctrl-C', '');
  return lines.join('\n');
}
