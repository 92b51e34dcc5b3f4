// One minute of records in columns of integer ids: what the engine's step takes.
import { lossPct, METHODS, type ResultRecord } from '../../core/model.js';
import type { Topology } from './topology.js';

export interface MinuteBatch {
  length: number;
  /** host index (Topology.hosts) per record */
  host: Int32Array;
  /** VIP index (Topology.vips) per record */
  vip: Int32Array;
  /** loss% per record */
  loss: Float32Array;
  /** rttAvg per record (ms); NaN when no reply came back */
  rtt: Float32Array;
  /** latencyRank of the record's method */
  rank: Uint8Array;
}

/**
 * Which of a host's records to a VIP gives its latency: the one of the slowest kind it probes (http over tcp over
 * icmp), whether or not it got replies. Taking "the slowest that got replies" instead made a lossy minute read
 * fast (only the icmp replies came back) and dragged the baseline down, so that normal minutes after an outage read
 * slow.
 */
export const latencyRank = (method: string | undefined): number => Math.max(0, (METHODS as readonly string[]).indexOf(method ?? 'icmp'));

export const emptyBatch = (): MinuteBatch => ({ length: 0, host: new Int32Array(0), vip: new Int32Array(0), loss: new Float32Array(0), rtt: new Float32Array(0), rank: new Uint8Array(0) });

/** Growable columns; build() returns views without copying. */
export class BatchBuilder {
  length = 0;
  private host: Int32Array;
  private vip: Int32Array;
  private loss: Float32Array;
  private rtt: Float32Array;
  private rank: Uint8Array;

  constructor(capacity = 1024) {
    this.host = new Int32Array(capacity);
    this.vip = new Int32Array(capacity);
    this.loss = new Float32Array(capacity);
    this.rtt = new Float32Array(capacity);
    this.rank = new Uint8Array(capacity);
  }

  /** `rtt` is the record's rttAvg (ms), NaN (or undefined) when it got no reply; `rank` its method's latencyRank. */
  push(host: number, vip: number, loss: number, rtt: number | undefined = NaN, rank = 0): void {
    if (this.length === this.host.length) this.grow();
    const i = this.length++;
    this.host[i] = host;
    this.vip[i] = vip;
    this.loss[i] = loss;
    this.rtt[i] = rtt ?? NaN;
    this.rank[i] = rank;
  }

  private grow(): void {
    const n = this.host.length * 2;
    const h = new Int32Array(n); h.set(this.host); this.host = h;
    const v = new Int32Array(n); v.set(this.vip); this.vip = v;
    const l = new Float32Array(n); l.set(this.loss); this.loss = l;
    const t = new Float32Array(n); t.set(this.rtt); this.rtt = t;
    const k = new Uint8Array(n); k.set(this.rank); this.rank = k;
  }

  build(): MinuteBatch {
    return { length: this.length, host: this.host.subarray(0, this.length), vip: this.vip.subarray(0, this.length), loss: this.loss.subarray(0, this.length), rtt: this.rtt.subarray(0, this.length), rank: this.rank.subarray(0, this.length) };
  }
}

/** Converts stored records of one minute; records of hosts or VIPs the inventory does not know are left out and counted. */
export function batchFromRecords(topo: Topology, records: Iterable<Pick<ResultRecord, 'host' | 'vip' | 'method' | 'sent' | 'recv' | 'rttAvg'>>): { batch: MinuteBatch; unknown: number } {
  const b = new BatchBuilder();
  let unknown = 0;
  for (const r of records) {
    const h = topo.hostIndex.get(r.host);
    const v = topo.vipIndex.get(r.vip);
    if (h === undefined || v === undefined) { unknown++; continue; }
    b.push(h, v, lossPct(r), r.recv > 0 ? r.rttAvg : NaN, latencyRank(r.method));
  }
  return { batch: b.build(), unknown };
}
