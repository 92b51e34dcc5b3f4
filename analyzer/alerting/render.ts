// Human text for one message or a digest: subject, plain text and HTML. Pure.
import { isCertWarning, signalOf } from '../../core/episode.js';
import type { Diagnosis } from '../../core/diagnosis.js';
import type { FaultEpisode, IspLatency, IspLoss } from '../../core/model.js';
import { faultLink, vipBoardLink, vipPageLink, type LinkConfig } from './links.js';
import type { AlertMessage } from './types.js';
import { formatWall } from './zones.js';

export interface RenderConfig extends LinkConfig { timeZone: string }

export interface Rendered { subject: string; text: string; html: string }

const TYPE_NAME: Record<FaultEpisode['type'], string> = { vip: 'VIP', dc: 'DC', isp: 'ISP', region: 'Region', agent: 'Agent' };
const VERB = { open: 'OPEN', reminder: 'STILL OPEN', recovery: 'RECOVERED', diagnosis: 'PATH DIAGNOSIS' } as const;

/** "DC fault", or "DC latency fault" for a fault that says slow, not down. */
const faultName = (f: FaultEpisode): string =>
  (isCertWarning(f) ? 'VIP certificate expiry warning' : `${TYPE_NAME[f.type]}${signalOf(f) === 'latency' ? ' latency' : ''} fault`);

/** The contract's line for one isp of a latency fault: `ct: 38 ms -> 92 ms (x2.4) in 19 of 31 provinces`. */
export const formatIspLatency = (x: IspLatency): string =>
  `${x.isp}: ${Math.round(x.baselineMs)} ms -> ${Math.round(x.currentMs)} ms (x${(x.currentMs / x.baselineMs).toFixed(1)}) in ${x.slowProvinces} of ${x.provinces} provinces`;

/** A loss fault's line for one isp: `ct: loss 100% in 19 of 31 provinces`. */
export const formatIspLoss = (x: IspLoss): string =>
  `${x.isp}: ${x.lossPct === null ? 'lossy (no reports this minute)' : `loss ${x.lossPct >= 10 ? Math.round(x.lossPct) : +x.lossPct.toFixed(1)}%`} in ${x.lossyProvinces} of ${x.provinces} provinces`;

/** Provinces by name when a few, else their number: a nationwide fault does not list all 31. */
const provincesOf = (xs: string[]): string => (xs.length === 0 ? '-' : xs.length <= 6 ? xs.join(', ') : `${xs.length} provinces`);
const scopeLine = (f: FaultEpisode): string =>
  `isps ${f.isps.join(', ') || '-'}; provinces ${provincesOf(f.provinces)}; dcs ${f.dcs.join(', ') || '-'}`;

const list = (xs: string[], max = 6): string => (xs.length <= max ? xs.join(',') : `${xs.slice(0, max).join(',')} +${xs.length - max} more`);

function scopeOf(m: AlertMessage): string {
  const f = m.fault;
  const parts = [];
  if (f.isps.length) parts.push(`isps ${list(f.isps)}`);
  if (f.provinces.length) parts.push(`provinces ${list(f.provinces, 3)}`);
  if (m.audience.kind === 'business') parts.push(`${m.vips.length} VIP${m.vips.length === 1 ? '' : 's'} of ${m.audience.business}`);
  else if (f.vips.length) parts.push(`${f.vips.length} VIP${f.vips.length === 1 ? '' : 's'}`);
  return parts.join('; ');
}

const hours = (ms: number): string => (ms >= 3_600_000 ? `${+(ms / 3_600_000).toFixed(1)}h` : `${Math.round(ms / 60_000)}m`);

export function subjectOf(m: AlertMessage): string {
  const f = m.fault;
  const verb = m.kind === 'reminder' ? `${VERB.reminder} ${hours(m.openForMs)}` : VERB[m.kind];
  return `[vipwatch ${m.severity}] ${verb}: ${faultName(f)} ${f.key} (${scopeOf(m)})`;
}

const when = (iso: string, tz: string): string => `${iso} (${formatWall(Date.parse(iso), tz)} ${tz})`;

function textOf(m: AlertMessage, cfg: RenderConfig): string {
  const f = m.fault;
  const lines = [
    m.kind === 'diagnosis' ? `Path diagnosis for ${faultName(f)} ${f.key}: ${m.diagnosis?.text ?? ''}`
      : `${faultName(f)} ${f.key} ${m.kind === 'open' ? 'opened' : m.kind === 'reminder' ? `is still open after ${hours(m.openForMs)}` : 'has recovered'}.`,
    '',
    `Severity:  ${m.severity}`,
    `For:       ${m.audience.kind === 'business' ? `owners of business ${m.audience.business}` : 'network team'}`,
    `Started:   ${when(f.start, cfg.timeZone)}`,
    `Detected:  ${when(f.detectedAt, cfg.timeZone)}`,
    ...(f.end ? [`Ended:     ${when(f.end, cfg.timeZone)}`] : []),
    `Scope:     ${scopeLine(f)}`,
    `Fault:     ${faultLink(cfg, m.uid)}  (chart and timeline)`,
    '',
  ];
  // the figures are from the fault's last open or update minute: a recovery does not repeat them as current
  if (m.loss?.length && m.kind !== 'recovery') lines.push('Measured loss (this minute, per isp):', ...m.loss.map((x) => `  ${formatIspLoss(x)}`), '');
  if (m.latency?.length) {
    lines.push(m.kind === 'recovery' ? 'Was slower than usual (baseline -> as last measured while open):' : 'Slower than usual (baseline -> now):',
      ...m.latency.map((x) => `  ${formatIspLatency(x)}`), '');
  }
  if (m.certDaysLeft !== undefined) lines.push(`Certificate: ${m.certDaysLeft.toFixed(1)} days left${m.kind === 'recovery' ? ' (renewed)' : ''}`, '');
  if (m.diagnosis) lines.push(...diagnosisLines(m.diagnosis), '');
  if (m.vips.length) {
    lines.push(`Affected VIPs${m.audience.kind === 'business' ? ` of ${m.audience.business}` : ''} (${m.vips.length}):`);
    for (const v of m.vips) {
      lines.push(`  ${v.ip}  dc ${v.dc || '-'}  business ${v.business || '-'}  isps ${v.isps.join(',') || '-'}  provinces ${provincesOf(v.provinces)}`);
      lines.push(`    ${vipPageLink(cfg, v.ip)}`);
      const grafana = vipBoardLink(cfg, v.ip);
      if (grafana) lines.push(`    Grafana: ${grafana}`);
    }
    lines.push('');
  }
  if (m.children.length) {
    lines.push(`Explained by this fault (${m.children.length}):`);
    for (const c of m.children) lines.push(`  ${c.id}  since ${c.start}  isps ${c.isps.join(',') || '-'}  provinces ${list(c.provinces)}`);
    lines.push('');
  }
  lines.push(`Message ${m.id}`);
  return lines.join('\n');
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function htmlOf(m: AlertMessage, cfg: RenderConfig): string {
  const f = m.fault;
  const row = (k: string, v: string) => `<tr><th align="left">${esc(k)}</th><td>${v}</td></tr>`;
  const grafana = (ip: string) => { const g = vipBoardLink(cfg, ip); return g ? ` (<a href="${esc(g)}">Grafana</a>)` : ''; };
  const vips = m.vips.map((v) => `<tr><td><a href="${esc(vipPageLink(cfg, v.ip))}">${esc(v.ip)}</a>${grafana(v.ip)}</td><td>${esc(v.dc)}</td>`
    + `<td>${esc(v.business)}</td><td>${esc(v.isps.join(', '))}</td><td>${esc(provincesOf(v.provinces))}</td></tr>`).join('');
  const children = m.children.map((c) => `<li>${esc(c.id)} since ${esc(c.start)} (isps ${esc(c.isps.join(', '))})</li>`).join('');
  return [
    `<h2>${esc(subjectOf(m))}</h2>`,
    '<table>',
    row('Severity', esc(m.severity)),
    row('For', esc(m.audience.kind === 'business' ? `owners of business ${m.audience.business}` : 'network team')),
    row('Started', esc(when(f.start, cfg.timeZone))),
    row('Detected', esc(when(f.detectedAt, cfg.timeZone))),
    ...(f.end ? [row('Ended', esc(when(f.end, cfg.timeZone)))] : []),
    row('Scope', esc(scopeLine(f))),
    row('Fault', `<a href="${esc(faultLink(cfg, m.uid))}">${esc(f.id)}</a> (chart and timeline)`),
    ...(m.loss?.length && m.kind !== 'recovery' ? [row('Loss', m.loss.map((x) => esc(formatIspLoss(x))).join('<br>'))] : []),
    ...(m.latency?.length ? [row('Slower', m.latency.map((x) => esc(formatIspLatency(x))).join('<br>'))] : []),
    ...(m.certDaysLeft !== undefined ? [row('Certificate', esc(`${m.certDaysLeft.toFixed(1)} days left`))] : []),
    ...(m.diagnosis ? [row('Diagnosis', esc(m.diagnosis.text))] : []),
    '</table>',
    ...(m.vips.length ? [`<h3>Affected VIPs (${m.vips.length})</h3>`,
      `<table border="1" cellpadding="3"><tr><th>VIP</th><th>DC</th><th>Business</th><th>ISPs</th><th>Provinces</th></tr>${vips}</table>`] : []),
    ...(m.children.length ? [`<h3>Explained by this fault (${m.children.length})</h3><ul>${children}</ul>`] : []),
  ].join('\n');
}

/** The diagnosis and a short line per traceroute: where each path went last. */
function diagnosisLines(d: Diagnosis): string[] {
  return [`Diagnosis: ${d.text}`, `Traceroutes (${d.paths.length}; inside = sources in the fault scope):`,
    ...d.paths.map((p) => {
      const last = [...p.hops].reverse().find((h) => h.ip !== null);
      return `  ${p.side.padEnd(7)} ${p.isp}/${p.province} ${p.host} -> ${p.target}: ${p.reached ? 'reached' : `stops after ${last?.ip ?? '-'} (hop ${last?.ttl ?? 0})`}, ${p.hops.length} hops`;
    })];
}

export function render(m: AlertMessage, cfg: RenderConfig): Rendered {
  return { subject: subjectOf(m), text: textOf(m, cfg), html: htmlOf(m, cfg) };
}

/** One message summing up several held (informational) ones for the same recipients. */
export function renderDigest(messages: AlertMessage[], cfg: RenderConfig): Rendered {
  const first = messages[0]!;
  const parts = messages.map((m) => render(m, cfg));
  const day = formatWall(first.deliverAt, cfg.timeZone).slice(0, 10);
  return {
    subject: `[vipwatch informational] digest ${day}: ${messages.length} message${messages.length === 1 ? '' : 's'}`,
    text: parts.map((p) => `== ${p.subject}\n\n${p.text}`).join('\n\n'),
    html: parts.map((p) => p.html).join('\n<hr>\n'),
  };
}
