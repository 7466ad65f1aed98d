import type { Clock } from "../../src/index.js";

/** A clock that moves only when told; timers and sleeps fire as it passes them. */
export class FakeClock implements Clock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  randomValues: number[] = [];
  defaultRandom = 0.5;

  constructor(public current = Date.UTC(2026, 10, 22, 10, 0, 0)) {}

  now(): number {
    return this.current;
  }

  random(): number {
    return this.randomValues.length ? this.randomValues.shift()! : this.defaultRandom;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.setTimer(resolve, ms));
  }

  setTimer(fn: () => void, ms: number): { cancel(): void } {
    const id = this.nextId++;
    this.timers.push({ at: this.current + ms, fn, id });
    return { cancel: () => (this.timers = this.timers.filter((t) => t.id !== id)) };
  }

  /** Pending timers (sleeps included). */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order and letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = target;
    await settle();
  }
}

/** Lets pending promise chains (and I/O callbacks queued already) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A clock for code that also does real I/O: sleeps return at once and move
 * time forward by what was asked, and every requested delay is recorded, so
 * backoff is asserted exactly without waiting.
 */
export class SkippingClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(
    public current = Date.now(),
    public randomValue = 0.5,
  ) {}
  now(): number {
    return this.current;
  }
  random(): number {
    return this.randomValue;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
  }
  setTimer(): { cancel(): void } {
    return { cancel: () => {} };
  }
}
