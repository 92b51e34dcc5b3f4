// Gives back the pages of node's binary and its libraries that the agent touched while starting and no longer uses.
// Node maps ~35 MB of its own binary at start-up (module loading, the bundle's compilation, symbol lookups for the
// addon), of which the probing that follows uses a part: the rest stayed in the agent's RSS for its whole life.
// releasePages (native/pages.c) unmaps them with madvise(MADV_DONTNEED): they stay in the page cache, clean, for the
// kernel to keep or reclaim, and a page the agent needs again is mapped again on its next access, with the same
// contents. Only read-only, private, file-backed mappings of the executable and of shared objects qualify, and only
// those without a private copy of a page (smaps' Anonymous 0): a page written once (relocations, a debugger's
// breakpoint) would otherwise go back to the file's contents. Such mappings are never unmapped while node runs, so
// the ranges read from smaps stay valid until madvise.
import { readFileSync, readlinkSync } from 'node:fs';
import type { Logger } from '../core/log.js';
import type { Timers } from './clock.js';
import { releasePagesFunction, type ReleasePages } from './native/icmp-socket.js';

export interface PageRange {
  start: number;
  length: number;
  /** resident before the release, kB (smaps' Rss) */
  rssKb: number;
  path: string;
}

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/;
const SHARED_OBJECT = /\.(so(\.\d+)*|node)$/;

/** The mappings of a /proc/PID/smaps text that can be given back (pure: the rules above). exe: the executable's path. */
export function releasableRanges(smaps: string, exe: string): PageRange[] {
  const out: PageRange[] = [];
  let cur: (PageRange & { ok: boolean }) | null = null;
  const close = () => { if (cur?.ok && cur.rssKb > 0) out.push({ start: cur.start, length: cur.length, rssKb: cur.rssKb, path: cur.path }); };
  for (const line of smaps.split('\n')) {
    const h = HEADER.exec(line);
    if (h) {
      close();
      const [, from, to, perms, path] = h as unknown as [string, string, string, string, string];
      const start = parseInt(from, 16);
      // r-?p: readable, not writable, private; a file of code, not data (a locale archive, a font) or a deleted one
      const ok = perms[0] === 'r' && perms[1] === '-' && perms[3] === 'p' && path.startsWith('/') && (path === exe || SHARED_OBJECT.test(path));
      cur = { start, length: parseInt(to, 16) - start, rssKb: 0, path, ok };
      continue;
    }
    if (!cur) continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const kb = parseInt(line.slice(colon + 1), 10);
    if (key === 'Rss') cur.rssKb = kb;
    else if (key === 'Anonymous' && kb !== 0) cur.ok = false; // a private copy of a page: never revert it
    else if (key === 'VmFlags' && /\blo\b/.test(line)) cur.ok = false; // locked: madvise refuses, and it was meant to stay
  }
  close();
  return out;
}

export interface ReleaseOutcome { ranges: number; releasedKb: number; refused: number; rssBeforeKb: number; rssAfterKb: number }

/** Reads this process's smaps, gives back what releasableRanges allows, and says what it did. */
export function releaseStartupPages(release: ReleasePages): ReleaseOutcome {
  const ranges = releasableRanges(readFileSync('/proc/self/smaps', 'utf8'), readlinkSync('/proc/self/exe'));
  const rssBeforeKb = Math.round(process.memoryUsage.rss() / 1024);
  const flat = new Float64Array(ranges.length * 2);
  ranges.forEach((r, i) => { flat[2 * i] = r.start; flat[2 * i + 1] = r.length; });
  const refused = release(flat);
  return { ranges: ranges.length, releasedKb: ranges.reduce((s, r) => s + r.rssKb, 0), refused, rssBeforeKb, rssAfterKb: Math.round(process.memoryUsage.rss() / 1024) };
}

export interface PageReleaseOptions {
  timers: Timers;
  log: Logger;
  /** after the first minute has been posted (its code is then mapped): minuteMs x 2 plus a margin */
  settleMs: number;
  /** then every this long (agent.releasePagesSec), for what a pull or an on-demand job touched */
  everyMs: number;
}

/**
 * The release on the agent's schedule: once probing has started, once more when the first minute has gone out, then
 * every `everyMs`. Null when the addon is not built.
 */
export class PageRelease {
  readonly #o: PageReleaseOptions;
  readonly #release: ReleasePages;
  #timer: unknown = null;
  #runs = 0;

  static open(o: PageReleaseOptions, release = releasePagesFunction()): PageRelease | null {
    return release ? new PageRelease(o, release) : null;
  }

  private constructor(o: PageReleaseOptions, release: ReleasePages) {
    this.#o = o;
    this.#release = release;
  }

  start(): void {
    this.#run();
    this.#arm(this.#o.settleMs);
  }

  stop(): void {
    if (this.#timer !== null) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(ms: number): void {
    this.#timer = this.#o.timers.setTimeout(() => { this.#run(); this.#arm(this.#o.everyMs); }, ms);
  }

  #run(): void {
    try {
      const r = releaseStartupPages(this.#release);
      const mb = (kb: number) => Math.round(kb / 102.4) / 10;
      // the first two say what start-up left behind; the hourly ones only matter when looking closely
      (this.#runs++ < 2 ? this.#o.log.info : this.#o.log.debug).call(this.#o.log,
        { mappings: r.ranges, releasedMb: mb(r.releasedKb), refused: r.refused, rssBeforeMb: mb(r.rssBeforeKb), rssAfterMb: mb(r.rssAfterKb) },
        'gave back the pages of node\'s binary and libraries not in use (they stay in the page cache)');
    } catch (e) {
      this.#o.log.warn({ err: (e as Error).message }, 'could not give back unused pages (agent.releasePagesSec): memory stays as it is');
    }
  }
}
