// A clock and timers moved by hand, for the agent's engine under test (agent/clock.ts's Clock and Timers).
import assert from 'node:assert/strict';
import type { Timers } from '../../agent/clock.js';

/** A clock and timers moved by hand: advance() fires every timer due on the way, in time order (bounded). */
export class FakeTime {
  t = 0;
  readonly #armed: { at: number; fn: () => void; cleared: boolean }[] = [];
  readonly clock = { now: () => this.t };
  readonly timers: Timers = {
    setTimeout: (fn, ms) => { const h = { at: this.t + ms, fn, cleared: false }; this.#armed.push(h); return h; },
    clearTimeout: (h) => { if (h) (h as { cleared: boolean }).cleared = true; },
  };

  /** Time passes to `to` with no timer firing, as for a stalled process; the next advance() fires them late. */
  jump(to: number): void {
    this.t = to;
  }

  advance(to: number): void {
    for (let fired = 0; ; fired++) {
      assert.ok(fired < 10_000, 'timers keep firing');
      const due = this.#armed.filter((h) => !h.cleared && h.at <= to).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.cleared = true;
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = to;
  }
}
