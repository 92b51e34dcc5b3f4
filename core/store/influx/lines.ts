// Line protocol for the shared measurements (see the shared names): `probe` records and `fault` events. Timestamps
// are in seconds (precision=s).
//
// Fault events go through @influxdata/influxdb-client's Point. Probe records are the ingest hot path: a Point per
// record (two objects, a sort of tag and field names, escaping every tag) costs more than the rest of the gateway's
// work on a record, so each series' tag set is escaped once with the client's own `escape` rules, in Point's order,
// and kept; a record then only adds its fields and time. test/ingest/lines.test.ts holds the output to Point's.
// The store's write path (`bodies`) goes one step further: each series' prefix is also kept UTF-8 encoded, and a
// request body is filled in one Buffer (prefix copied, the ASCII fields written as latin1), so no line string, no
// join of 5,000 lines and no second UTF-8 encoding of the body are made: the gateway shares 2 cores with influxd in
// the benchmark, and what it does not spend influxd can.
import { Point, escape } from '@influxdata/influxdb-client';
import { lossPct } from '../../model.js';
import { HTTP_FIELDS } from '../series-common.js';
import type { StoredFaultEvent, StoredRecord } from '../series.js';

export const PROBE = 'probe';
export const FAULT = 'fault';

/** Point's timestamp conversion for numbers we already hold in the write precision: print as is. */
export const asIs = (t: unknown): string | undefined => (t === undefined ? undefined : String(t));

/** One series' escaped "probe,tag=value,..." and the inventory tags it was made from (they change with the inventory). */
interface Series { dc: string; province: string; isp: string; vipDc: string; business: string; prefix: string; bytes: Buffer }

const tag = (k: string, v: string): string => (v ? `,${k}=${escape.tag(v)}` : ''); // Point drops empty tags

/** Renders `probe` lines, keeping each series' escaped tag set; at most maxSeries are kept (then it starts over). */
export class ProbeLineRenderer {
  // host -> "vip method" -> series
  private cache = new Map<string, Map<string, Series>>();
  private size = 0;

  constructor(private readonly maxSeries = 1_000_000) {}

  private series(r: StoredRecord): Series {
    const k = r.method === 'icmp' ? r.vip : `${r.vip} ${r.method}`;
    const s = this.cache.get(r.host)?.get(k);
    if (s && s.dc === r.dc && s.vipDc === r.vipDc && s.business === r.business && s.province === r.province && s.isp === r.isp) return s;
    if (!s && ++this.size > this.maxSeries) {
      this.cache.clear();
      this.size = 1;
    }
    let byHost = this.cache.get(r.host);
    if (!byHost) this.cache.set(r.host, (byHost = new Map()));
    // tag keys in Point's (sorted) order
    const prefix = escape.measurement(PROBE) + tag('business', r.business) + tag('dc', r.dc) + tag('host', r.host) + tag('isp', r.isp)
      + tag('method', r.method) + tag('province', r.province) + tag('vip', r.vip) + tag('vip_dc', r.vipDc) + ' ';
    const created: Series = { dc: r.dc, province: r.province, isp: r.isp, vipDc: r.vipDc, business: r.business, prefix, bytes: Buffer.from(prefix) };
    byHost.set(k, created);
    return created;
  }

  /** One line per record, ts parsed once per distinct time text. Field order and number format are Point's. */
  render(records: StoredRecord[]): string[] {
    const seconds = tsSeconds();
    const out = new Array<string>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      out[i] = this.series(r).prefix + fieldsAndTime(r, seconds(r.ts));
    }
    return out;
  }

  /**
   * The records as request bodies of at most maxLines lines each, in equal parts (no small remainder: InfluxDB pays
   * a fixed cost per request); each body is the lines of `render` joined by "\n", UTF-8 encoded.
   */
  bodies(records: StoredRecord[], maxLines: number): Buffer[] {
    const seconds = tsSeconds();
    const parts = Math.ceil(records.length / maxLines);
    const base = Math.floor(records.length / parts);
    const out: Buffer[] = [];
    for (let part = 0, from = 0; part < parts; part++) {
      // the first (length % parts) bodies take one line more: sizes differ by one at most
      const to = from + base + (part < records.length % parts ? 1 : 0);
      let buf = Buffer.allocUnsafe((to - from) * 320);
      let at = 0;
      for (let i = from; i < to; i++) {
        const r = records[i]!;
        const prefix = this.series(r).bytes;
        const rest = fieldsAndTime(r, seconds(r.ts));
        // fields and time are ASCII (names and numbers): one byte a character
        const need = at + prefix.length + rest.length + 1;
        if (need > buf.length) {
          const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
          buf.copy(bigger, 0, 0, at);
          buf = bigger;
        }
        if (i > from) buf[at++] = 0x0a;
        at += prefix.copy(buf, at);
        at += buf.write(rest, at, 'latin1');
      }
      out.push(buf.subarray(0, at));
      from = to;
    }
    return out;
  }
}

/** A record's time text to seconds, parsed once per distinct text (a body holds one or a few minutes). */
function tsSeconds(): (ts: string) => number {
  const cache = new Map<string, number>();
  return (ts) => {
    let sec = cache.get(ts);
    if (sec === undefined) cache.set(ts, (sec = Math.floor(Date.parse(ts) / 1000)));
    return sec;
  };
}

/** What follows a series' prefix: the fields in Point's (sorted) order and number format, then the time. */
function fieldsAndTime(r: StoredRecord, sec: number): string {
  const rtt = r.rttAvg === undefined ? '' : `,rtt_avg=${r.rttAvg},rtt_max=${r.rttMax},rtt_min=${r.rttMin}`;
  const http = r.method === 'http' ? httpFields(r) : '';
  return `${http}loss=${lossPct(r)},recv=${Math.floor(r.recv)}i${rtt},sent=${Math.floor(r.sent)}i ${sec}`;
}

/** An http record's optional fields (HTTP_FIELDS, in Point's sorted order: all sort before "loss"), each with a comma. */
function httpFields(r: StoredRecord): string {
  let s = '';
  for (const [k, name, type] of HTTP_FIELDS) {
    const v = r[k];
    if (v !== undefined) s += type === 'int' ? `${name}=${Math.floor(v)}i,` : `${name}=${v},`;
  }
  return s;
}

/** One `fault` point: tags type, key, id; fields event, title, text, uid. */
export const faultLine = (ev: StoredFaultEvent): string => new Point(FAULT)
  .tag('type', ev.type).tag('key', ev.key).tag('id', ev.id)
  .stringField('event', ev.event).stringField('title', ev.title).stringField('text', ev.text).stringField('uid', ev.uid)
  .timestamp(Math.floor(ev.minute / 1000))
  .toLineProtocol({ convertTime: asIs })!;
