// Pure helpers every SeriesStore backend shares: fault annotations, timestamps, result order.
import type { FaultType } from '../model.js';
import type { FaultEvent, GroupAggregate, StoredFaultEvent, VipPoint } from './series.js';

const TYPE_LABEL: Record<FaultType, string> = { vip: 'VIP', dc: 'DC', isp: 'ISP', region: 'Region', agent: 'Agent' };

/** The `fault` measurement's row for one event: title for the annotation, text for its scope. */
export function faultAnnotation(ev: FaultEvent): StoredFaultEvent {
  const e = ev.episode;
  const scope = [
    ['isps', e.isps], ['provinces', e.provinces], ['VIPs', e.vips], ['businesses', e.businesses],
  ] as const;
  return {
    minute: ev.minute,
    event: ev.event,
    type: e.type,
    key: e.key,
    id: e.id,
    title: `${TYPE_LABEL[e.type]} fault ${e.key} ${ev.event === 'open' ? 'opened' : 'closed'}`,
    text: scope.filter(([, list]) => list.length > 0).map(([name, list]) => `${name}: ${list.join(', ')}`).join('; '),
    uid: `${e.id}@${e.start}`,
  };
}

/** A stored minute back as the contract's time text ("2026-11-23T14:05:00Z"; sub-minute drills keep seconds). */
export const isoTs = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export const byMinuteGroup = (a: GroupAggregate | VipPoint, b: GroupAggregate | VipPoint): number =>
  a.minute - b.minute || cmp(a.province, b.province) || cmp(a.isp, b.isp);

export const byMinuteId = (a: StoredFaultEvent, b: StoredFaultEvent): number => a.minute - b.minute || cmp(a.id, b.id);

/** Loss over summed probes, as the contract defines loss for one record. */
export const sumLoss = (sent: number, recv: number): number => (sent > 0 ? (100 * (sent - recv)) / sent : 100);
