// Giving back start-up's pages (agent/page-release.ts, native/pages.c): which mappings qualify, and a real node
// process whose file-backed RSS (read from /proc by this test, not from the code's own figures) falls while it goes
// on running JavaScript and loading code. Giving back a mapping that holds a private copy of a page (the executable's
// relocated RELRO) kills the process with SIGSEGV, so a wrong pick fails the second test.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PageRelease, releasableRanges } from '../../agent/page-release.js';
import { releasePagesFunction } from '../../agent/native/icmp-socket.js';
import { createLogger } from '../../core/log.js';

const map = (range: string, perms: string, path: string, rss: number, anonymous = 0, flags = 'rd mr mw me') =>
  `${range} ${perms} 00000000 fe:00 1234 ${' '.repeat(20)}${path}\nSize: 100 kB\nRss: ${rss} kB\nPss: ${rss} kB\n` +
  `Anonymous: ${anonymous} kB\nLocked: 0 kB\nVmFlags: ${flags}\n`;

test('releasableRanges: read-only private mappings of the executable and shared objects, without private copies', () => {
  const smaps = [
    map('00400000-00b6f000', 'r--p', '/usr/bin/node', 7100),
    map('00b72000-025fe000', 'r-xp', '/usr/bin/node', 16564),
    map('0563a000-0563e000', 'r--p', '/usr/bin/node', 16, 16), // RELRO: relocated, so private copies
    map('0563e000-0565d000', 'rw-p', '/usr/bin/node', 120, 40),
    map('448ab000-44c7e000', 'rw-p', '[heap]', 3512, 3512),
    map('7f0000000000-7f0000100000', 'r-xp', '/usr/lib/x86_64-linux-gnu/libc.so.6', 1112),
    map('7f0000200000-7f0000210000', 'r-xp', '/opt/vipwatch-agent/lib/vipwatch-agent/icmp_socket.node', 40),
    map('7f0000300000-7f0000310000', 'r-xp', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30', 668),
    map('7f0000400000-7f0000500000', 'r--p', '/usr/lib/locale/locale-archive', 300), // data, not code
    map('7f0000600000-7f0000610000', 'r-xp', '/usr/lib/x86_64-linux-gnu/libm.so.6', 0), // nothing resident
    map('7f0000700000-7f0000710000', 'r-xp', '/usr/lib/x86_64-linux-gnu/libz.so.1', 20, 0, 'rd ex mr mw me lo'), // locked
    map('7f0000800000-7f0000810000', 'r-xp', '/usr/lib/libgone.so (deleted)', 20),
    map('7f0000900000-7f0000910000', 'r--s', '/usr/lib/x86_64-linux-gnu/libshared.so', 20), // shared
    map('7f0000a00000-7f0000a01000', 'r-xp', '[vdso]', 4),
    map('7f0000b00000-7f0000b10000', 'r-xp', '/usr/bin/node-other', 20), // not this executable, not a shared object
  ].join('');
  const got = releasableRanges(smaps, '/usr/bin/node').map((r) => [r.start.toString(16), r.length.toString(16), r.rssKb, r.path]);
  assert.deepEqual(got, [
    ['400000', '76f000', 7100, '/usr/bin/node'],
    ['b72000', '1a8c000', 16564, '/usr/bin/node'],
    ['7f0000000000', '100000', 1112, '/usr/lib/x86_64-linux-gnu/libc.so.6'],
    ['7f0000200000', '10000', 40, '/opt/vipwatch-agent/lib/vipwatch-agent/icmp_socket.node'],
    ['7f0000300000', '10000', 668, '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30'],
  ]);
});

const rssFile = (pid: number) => Number(/RssFile:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

test('a node process gives back its start-up pages and goes on running', { timeout: 60_000 }, async () => {
  assert.ok(releasePagesFunction(), 'the addon is built (npm run build)');
  const module = fileURLToPath(new URL('../../agent/page-release.ts', import.meta.url));
  const addon = fileURLToPath(new URL('../../agent/native/icmp-socket.ts', import.meta.url));
  // the child waits for a line, gives its pages back, waits for another, then hashes and loads new code
  const js = `
    import { releaseStartupPages } from ${JSON.stringify(module)};
    import { releasePagesFunction } from ${JSON.stringify(addon)};
    import { createInterface } from 'node:readline';
    const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
    console.log('ready');
    await lines.next();
    const r = releaseStartupPages(releasePagesFunction());
    console.log('released ' + r.refused);
    await lines.next();
    const { createHash } = await import('node:crypto');
    const { gzipSync } = await import('node:zlib');
    console.log('hash ' + createHash('sha256').update(gzipSync('vipwatch'.repeat(1000)).length + ':' + 'x'.repeat(1000)).digest('hex'));
  `;
  const child = spawn(process.execPath, ['--max-semi-space-size=1', '--lite-mode', '--optimize-for-size', '--import', 'tsx', '--input-type=module', '-e', js], { stdio: ['pipe', 'pipe', 'inherit'] });
  const out: string[] = [];
  let wake = () => {};
  child.stdout.setEncoding('utf8').on('data', (d: string) => { out.push(...d.split('\n').filter(Boolean)); wake(); });
  const next = async (prefix: string) => {
    for (let i = 0; i < 200 && !out.some((l) => l.startsWith(prefix)); i++) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      await new Promise<void>((r) => { wake = r; setTimeout(r, 100); });
    }
    const line = out.find((l) => l.startsWith(prefix));
    assert.ok(line, `child said "${prefix}..." (it said ${JSON.stringify(out)}, exit ${child.exitCode ?? child.signalCode})`);
    return line;
  };
  try {
    await next('ready');
    const before = rssFile(child.pid!);
    child.stdin.write('go\n');
    assert.equal(await next('released '), 'released 0', 'madvise took every range');
    const after = rssFile(child.pid!);
    child.stdin.end('go\n'); // and stdin's end lets the child exit
    const want = createHash('sha256').update(`${(await import('node:zlib')).gzipSync('vipwatch'.repeat(1000)).length}:${'x'.repeat(1000)}`).digest('hex');
    assert.equal(await next('hash '), `hash ${want}`, 'the child computes the same after its pages went');
    const [code, signal] = await once(child, 'exit') as [number | null, string | null];
    assert.deepEqual([code, signal], [0, null]);
    // node's binary alone is ~30 MB of file-backed RSS after start-up; most of it was start-up's
    assert.ok(before - after > 10_000, `file-backed RSS ${before} kB -> ${after} kB: at least 10 MB given back`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

test('PageRelease: at start, once the first minute has gone out, then every everyMs; a failure is logged, not thrown', () => {
  const delays: number[] = [];
  const fire: (() => void)[] = [];
  const timers = { setTimeout: (fn: () => void, ms: number) => { delays.push(ms); fire.push(fn); return fire.length; }, clearTimeout: () => {} };
  let calls = 0;
  const release = (ranges: Float64Array) => { calls++; assert.equal(ranges.length % 2, 0); if (calls === 3) throw new Error('boom'); return 0; };
  const p = PageRelease.open({ timers, log: createLogger('silent'), settleMs: 125_000, everyMs: 3_600_000 }, release)!;
  p.start();
  assert.equal(calls, 1, 'at start');
  for (let i = 0; i < 3; i++) fire[i]!();
  assert.equal(calls, 4, 'a release per timer, the failed one included');
  assert.deepEqual(delays, [125_000, 3_600_000, 3_600_000, 3_600_000]);
});
