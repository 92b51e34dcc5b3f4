#!/usr/bin/env node
// `npm run package:agent [-- --out DIR] [--version V]`: the agent package, as a tarball and a .deb.
// The agent command alone (bin/vipwatch-agent.ts) is bundled by esbuild with the JavaScript of its dependencies;
// the ICMP probe's own addon (agent/native) goes beside the bundle as lib/vipwatch-agent/icmp_socket.node;
// raw-socket (traceroute's) stays a module of its own (its native addon, built here for Node 20, is loaded by its index.js) under
// lib/vipwatch-agent/node_modules. Around it: a launcher, the systemd unit, the commented config, maintainer scripts
// (build/agent-package/). Writes dist/vipwatch-agent-V-linux-x64.tar.gz and dist/vipwatch-agent_V_amd64.deb.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const files = join(root, 'build/agent-package');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const { values: opt } = parseArgs({ options: { out: { type: 'string' }, version: { type: 'string' } } });
const version = opt.version ?? pkg.version;
if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(version)) throw new Error(`--version ${JSON.stringify(version)}: not a Debian version`);
const out = opt.out ?? join(root, 'dist');
/**
 * node flags of the launcher (VIPWATCH_NODE_FLAGS replaces them): a 1 MB young generation, V8's lite mode (no
 * optimizing compilers: bytecode only) and its size-over-speed heuristics. The agent spends its CPU in system calls,
 * not JavaScript, so they cost no CPU bench:agent can see and save about a fifth of its RSS (agent/README.md).
 */
const NODE_FLAGS = '--max-semi-space-size=1 --lite-mode --optimize-for-size';

/**
 * zod's namespace re-exports all of its ~50 message locales (`z.locales`), 300 KiB of the bundle that the agent
 * never uses: its messages are zod's default, English. The locales index is replaced by one holding `en` alone.
 */
const onlyEnglishZod = {
  name: 'only-english-zod',
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (/[/\\]zod[/\\]v4[/\\]/.test(args.importer) ? { path: join(args.resolveDir, '../locales/index.js'), namespace: 'zod-en' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({ contents: `export { default as en } from ${JSON.stringify(join(args.path, '../en.js'))};`, resolveDir: join(args.path, '..') }));
  },
};

/**
 * prom-client's index requires all of its parts at load: the Pushgateway (node:https, zlib), the cluster aggregator
 * and the default process metrics (node:v8, perf_hooks, @opentelemetry/api), ~5 MB of RSS in the agent that only
 * `agent.metricsPort` ever uses (the default metrics) or nothing does (the rest). Its `exports.X = require(...)`
 * lines become getters, so each part loads on first use; the exports and their values are the same.
 */
const lazyPromClient = {
  name: 'lazy-prom-client',
  setup(b) {
    b.onLoad({ filter: /[/\\]prom-client[/\\]index\.js$/ }, (args) => {
      let n = 0;
      const contents = readFileSync(args.path, 'utf8').replace(/^exports\.(\w+) =\s*(require\('[^']+'\)(?:\.\w+)?);$/gm, (_, name, value) => {
        n++;
        return `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: () => ${value} });`;
      });
      if (n < 10 || /^exports\.\w+ =\s*require/m.test(contents)) throw new Error(`${args.path}: not the prom-client index lazy-prom-client knows (${n} exports rewritten)`);
      return { contents, loader: 'js' };
    });
  },
};

const stage = mkdtempSync(join(tmpdir(), 'vipwatch-agent-pkg-'));
try {
  const lib = join(stage, 'usr/lib/vipwatch-agent');
  const result = await build({
    entryPoints: { 'vipwatch-agent': join(root, 'bin/vipwatch-agent.ts') },
    outdir: lib,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true, // what the agent loads only on demand (e.g. the http method's client) stays in its own chunk
    chunkNames: 'chunks/[name]-[hash]',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['raw-socket'],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [onlyEnglishZod, lazyPromClient],
    // CommonJS dependencies call require(): give every output module one
    banner: { js: "import { createRequire as __vipwatchRequire } from 'node:module'; const require = __vipwatchRequire(import.meta.url);" },
  });

  // lite mode turns WebAssembly off, and with it node's fetch (undici parses HTTP in wasm): refuse a bundle using them
  const code = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.mjs')).map((f) => readFileSync(f, 'utf8')).join('\n');
  if (NODE_FLAGS.includes('--lite-mode') && /\bWebAssembly\b|\bfetch\(/.test(code)) {
    throw new Error('the agent bundle uses WebAssembly or fetch(), which --lite-mode (the launcher\'s node flags) turns off: use node:http, or drop --lite-mode');
  }

  // the agent's own ICMP socket addon (agent/native, built by `npm run build`), beside the bundle where
  // agent/native/icmp-socket.ts looks for it
  const icmpAddon = join(root, 'agent/native/build/Release/icmp_socket.node');
  try { copyFileSync(icmpAddon, join(lib, 'icmp_socket.node')); } catch (e) { throw new Error(`${icmpAddon}: ${e.message} (run \`npm run build\` first)`); }

  // raw-socket: its JavaScript and the addon built for this node (Node 20), nothing of its build tree
  const rs = join(root, 'node_modules/raw-socket');
  const rsTo = join(lib, 'node_modules/raw-socket');
  mkdirSync(join(rsTo, 'build/Release'), { recursive: true });
  for (const f of ['package.json', 'index.js', 'LICENSE']) {
    try { copyFileSync(join(rs, f), join(rsTo, f)); } catch (e) { if (f === 'package.json' || f === 'index.js') throw e; }
  }
  copyFileSync(join(rs, 'build/Release/raw.node'), join(rsTo, 'build/Release/raw.node'));

  // which packages the bundle holds, with their licenses
  const bundled = new Map();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m && !bundled.has(m[1])) {
      const p = JSON.parse(readFileSync(join(root, 'node_modules', m[1], 'package.json'), 'utf8'));
      bundled.set(m[1], `${m[1]}@${p.version} ${typeof p.license === 'string' ? p.license : JSON.stringify(p.license ?? 'unknown')}`);
    }
  }
  const rsPkg = JSON.parse(readFileSync(join(rs, 'package.json'), 'utf8'));
  bundled.set('raw-socket', `raw-socket@${rsPkg.version} ${rsPkg.license ?? 'MIT'} (native addon, node_modules/raw-socket)`);
  const doc = join(stage, 'usr/share/doc/vipwatch-agent');
  mkdirSync(doc, { recursive: true });
  copyFileSync(join(files, 'README'), join(doc, 'README'));
  writeFileSync(join(doc, 'THIRD-PARTY'), `Third-party packages in vipwatch-agent ${version}:\n${[...bundled.values()].sort().join('\n')}\n`);

  const bin = join(stage, 'usr/bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'vipwatch-agent'), readFileSync(join(files, 'vipwatch-agent'), 'utf8').replace('@NODE_FLAGS@', NODE_FLAGS), { mode: 0o755 });
  const etc = join(stage, 'etc/vipwatch-agent');
  mkdirSync(etc, { recursive: true });
  copyFileSync(join(files, 'config.yaml'), join(etc, 'config.yaml'));
  copyFileSync(join(files, 'agent.env'), join(etc, 'agent.env'));
  chmodSync(join(etc, 'agent.env'), 0o600);
  const unitDir = join(stage, 'lib/systemd/system');
  mkdirSync(unitDir, { recursive: true });
  copyFileSync(join(files, 'vipwatch-agent.service'), join(unitDir, 'vipwatch-agent.service'));

  // the tarball: the same tree, /usr's contents at its top
  const tarName = `vipwatch-agent-${version}`;
  const tarTree = join(stage, 'tar', tarName);
  cpSync(join(stage, 'usr'), tarTree, { recursive: true });
  cpSync(join(stage, 'etc'), join(tarTree, 'etc'), { recursive: true });
  cpSync(join(stage, 'lib'), join(tarTree, 'lib'), { recursive: true });

  // the .deb: control files and maintainer scripts
  const debian = join(stage, 'DEBIAN');
  mkdirSync(debian);
  const kb = Math.ceil(duBytes(join(stage, 'usr'), join(stage, 'etc'), join(stage, 'lib')) / 1024);
  writeFileSync(join(debian, 'control'), [
    'Package: vipwatch-agent',
    `Version: ${version}`,
    'Architecture: amd64',
    'Maintainer: vipwatch <vipwatch@example.com>',
    `Installed-Size: ${kb}`,
    'Section: net',
    'Priority: optional',
    'Depends: passwd',
    'Recommends: nodejs (>= 20)',
    'Description: vipwatch probe agent (ICMP, TCP, HTTP) for CDN hosts',
    ' Pulls its task list from the vipwatch gateway, probes every target evenly through',
    ' the minute and posts per-minute records through an on-disk spool. Needs Node.js >= 20',
    ' on PATH (not necessarily from a Debian package). Runs as a systemd service with',
    ' CAP_NET_RAW only.',
    '',
  ].join('\n'));
  writeFileSync(join(debian, 'conffiles'), '/etc/vipwatch-agent/config.yaml\n/etc/vipwatch-agent/agent.env\n');
  for (const s of ['postinst', 'prerm', 'postrm']) {
    copyFileSync(join(files, s), join(debian, s));
    chmodSync(join(debian, s), 0o755);
  }

  mkdirSync(out, { recursive: true });
  const tarball = join(out, `${tarName}-linux-x64.tar.gz`);
  const deb = join(out, `vipwatch-agent_${version}_amd64.deb`);
  execFileSync('tar', ['-czf', tarball, '--owner=0', '--group=0', '--numeric-owner', '-C', join(stage, 'tar'), tarName]);
  // the .deb's tree must not hold the tarball's staging copy
  rmSync(join(stage, 'tar'), { recursive: true });
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'] });

  const js = readdirSync(lib, { recursive: true }).filter((f) => String(f).endsWith('.mjs'));
  const jsBytes = js.reduce((s, f) => s + statSync(join(lib, String(f))).size, 0);
  const rel = (p) => relative(process.cwd(), p) || p;
  console.log(`bundle: ${js.length} files, ${(jsBytes / 1024).toFixed(0)} KiB of JavaScript; packages: ${[...bundled.keys()].sort().join(', ')}`);
  console.log(`${rel(deb)}: ${(statSync(deb).size / 1024).toFixed(0)} KiB`);
  console.log(`${rel(tarball)}: ${statSync(tarball).size} bytes (${(statSync(tarball).size / 1024).toFixed(0)} KiB)`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

function duBytes(...dirs) {
  let n = 0;
  for (const d of dirs) {
    for (const f of readdirSync(d, { recursive: true })) {
      const s = statSync(join(d, String(f)));
      if (s.isFile()) n += s.size;
    }
  }
  return n;
}
