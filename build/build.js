#!/usr/bin/env node
// `npm run build`: compiles every part to dist/ (tsc, tsconfig.build.json) and copies the files the code reads at
// run time next to the compiled code, at the same relative places as in the source tree (web/assets, core/data,
// sql/), so source and dist resolve them the same way. Incremental: only changed files are written again.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
for (const dir of ['web/assets', 'core/data', 'sql']) {
  if (existsSync(join(root, dir))) cpSync(join(root, dir), join(root, 'dist', dir), { recursive: true });
}
// the addons: the agent's raw ICMP sockets and probing (agent/native, agent/README.md) and the analyzer's replay
// line scanner (analyzer/native): node-gyp (npm's own, as for dependencies' addons) against this node's headers when
// installed beside it; configured again when binding.gyp changed, else make rebuilds only what changed
const prefix = dirname(dirname(process.execPath));
const gyp = process.env.npm_config_node_gyp ?? join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
const nodedir = process.env.npm_config_nodedir ?? (existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : null);
for (const [dir, name] of [['agent/native', 'icmp_socket'], ['analyzer/native', 'record_scan']]) {
  const addon = join(root, dir);
  const makefile = join(addon, 'build/Makefile');
  const configured = existsSync(makefile) && statSync(makefile).mtimeMs >= statSync(join(addon, 'binding.gyp')).mtimeMs;
  for (const step of configured ? ['build'] : ['configure', 'build']) {
    const g = spawnSync(process.execPath, [gyp, step, '--silent', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: addon, stdio: 'inherit' });
    if (g.status !== 0) {
      console.error(`build: node-gyp ${step} of the addon in ${dir} failed (above; needs make and a C compiler)`);
      process.exit(g.status ?? 1);
    }
  }
  const node = `${dir}/build/Release/${name}.node`;
  mkdirSync(dirname(join(root, 'dist', node)), { recursive: true });
  // A new file renamed over the old one, never the old one rewritten: agents running from dist/ have it mapped, and
  // rewriting its pages under them crashed them (SIGSEGV in the addon while a build ran beside the drills).
  const built = readFileSync(join(root, node));
  const target = join(root, 'dist', node);
  if (!existsSync(target) || !built.equals(readFileSync(target))) {
    writeFileSync(`${target}.tmp`, built, { mode: 0o755 });
    renameSync(`${target}.tmp`, target);
  }
}
if (r.status !== 0) {
  console.error('build: tsc reported errors (above); dist/ was written but may be inconsistent');
  process.exit(r.status ?? 1);
}
