// What a test needs from the machine. Missing pieces skip the test with the reason, except under CI=true,
// where `npm test` has had the chance to install them and a skip would hide a broken set-up.
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

export const inCI = process.env.CI === 'true';
export const isRoot = process.getuid?.() === 0;
export const hasCommand = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Returns a reason why the test cannot run here, or null. Under CI a missing piece throws instead. */
export function missing(what: { commands?: string[]; root?: boolean }): string | null {
  const lacks = (what.commands ?? []).filter((c) => !hasCommand(c));
  const reasons = [...lacks.map((c) => `${c} is not installed`), ...(what.root && !isRoot ? ['needs root (or CAP_NET_RAW/CAP_NET_ADMIN)'] : [])];
  if (!reasons.length) return null;
  const why = reasons.join('; ');
  if (inCI) throw new Error(`CI=true and the test set-up is incomplete: ${why}`);
  return why;
}

/** Skips the test (with the reason printed) when the machine lacks something; returns true if skipped. */
export function skipUnless(t: TestContext, what: { commands?: string[]; root?: boolean }): boolean {
  const why = missing(what);
  if (why) t.skip(`skipped: ${why}`);
  return why !== null;
}
