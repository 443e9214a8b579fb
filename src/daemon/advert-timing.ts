/**
 * Where an advert's time goes between its deadline and the sendto: the profile behind the jitter
 * and failover figures (bench/README.md). The VRRP actor stamps a timer-driven step (`timing` in
 * its effects message: the timer's deadline, when the step ran, when the message left the actor
 * host); the main thread adds when the message arrived and when the advert's sendto returned.
 * All stamps are CLOCK_MONOTONIC ms (monoNow), which every thread of the process shares.
 *
 * Stages, ms: wake = step − deadline (the host's timer and nap), step = posted − step (state machine
 * and the effects message's encoding), hop = received − posted (postMessage, the main thread's turn,
 * decoding), send = sent − received (main thread: deputy check, advert encoding, sendto).
 * Kept per instance: the last RING adverts (for p50/p99 of each stage) and the last takeover, whose
 * wall-clock stamps let a capture on the wire be set against them (bench/failover.ts).
 */
import { monoNow } from '../actors/runtime';

/** What a VRRP actor adds to a timer-driven effects message (src/actors/vrrp/actor.ts). */
export interface StepTiming {
  due: number;
  stepAt: number;
  postedAt: number;
}

export interface StageSummary {
  p50: number;
  p99: number;
  max: number;
}

export interface TakeoverTiming {
  /** wall clock (epoch ms, µs resolution) when the main thread read the last advert heard before the takeover */
  lastAdvertRxWall: number | null;
  /** wall clock when the first advert's sendto returned */
  sentWall: number;
  /** last advert heard → master-down deadline (the RFC's interval as the actor armed it) */
  masterDownMs: number | null;
  wakeMs: number;
  stepMs: number;
  hopMs: number;
  sendMs: number;
  /** deadline → sendto returned */
  totalMs: number;
}

export interface AdvertTimingView {
  /** timer-driven adverts recorded since start */
  adverts: number;
  /** over the last `window` of them */
  window: number;
  wake: StageSummary;
  step: StageSummary;
  hop: StageSummary;
  send: StageSummary;
  total: StageSummary;
  lastTakeover: TakeoverTiming | null;
}

const RING = 64;
const STAGES = 5;
/** ms to µs resolution */
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

let cached: { offset: number; at: number } | null = null;

/**
 * ms from monoNow() to the wall clock (CLOCK_REALTIME, epoch ms, as a capture's timestamps).
 * performance.timeOrigin pairs the two clocks at start-up by two reads that can be a millisecond
 * apart, and Date.now() counts whole milliseconds; so the offset is taken at the edge where
 * Date.now() ticks (a spin of at most 1 ms), and kept for 10 s.
 */
export function monoToWallOffset(): number {
  const now = monoNow();
  if (cached && now - cached.at < 10_000) return cached.offset;
  const t0 = Date.now();
  let t = t0;
  let m = now;
  for (let i = 0; t === t0 && i < 10_000_000; i++) {
    t = Date.now();
    m = monoNow();
  }
  cached = { offset: t - m, at: m };
  return cached.offset;
}

function summary(xs: Float64Array, n: number, stage: number): StageSummary {
  const v: number[] = [];
  for (let i = 0; i < n; i++) v.push(xs[i * STAGES + stage]!);
  v.sort((a, b) => a - b);
  const at = (q: number): number => v[Math.min(v.length - 1, Math.ceil(q * v.length) - 1)] ?? 0;
  return { p50: r3(at(0.5)), p99: r3(at(0.99)), max: r3(v.at(-1) ?? 0) };
}

export class AdvertTiming {
  private ring: Float64Array | null = null;
  private count = 0;
  private takeover: { t: StepTiming; receivedAt: number; sentAt: number; rxAt: number | null } | null = null;

  /** One timer-driven step whose advert left at `sentAt`; `takeover` when the step made the instance MASTER. */
  record(t: StepTiming, receivedAt: number, sentAt: number, takeover: boolean, lastRxAt: number | null): void {
    const ring = (this.ring ??= new Float64Array(RING * STAGES));
    const o = (this.count % RING) * STAGES;
    ring[o] = t.stepAt - t.due;
    ring[o + 1] = t.postedAt - t.stepAt;
    ring[o + 2] = receivedAt - t.postedAt;
    ring[o + 3] = sentAt - receivedAt;
    ring[o + 4] = sentAt - t.due;
    this.count++;
    if (takeover) this.takeover = { t, receivedAt, sentAt, rxAt: lastRxAt };
  }

  view(wallOffset: number): AdvertTimingView | null {
    if (!this.ring) return null;
    const n = Math.min(this.count, RING);
    const s = (k: number): StageSummary => summary(this.ring!, n, k);
    const tk = this.takeover;
    return {
      adverts: this.count,
      window: n,
      wake: s(0),
      step: s(1),
      hop: s(2),
      send: s(3),
      total: s(4),
      lastTakeover: tk
        ? {
            lastAdvertRxWall: tk.rxAt === null ? null : r3(tk.rxAt + wallOffset),
            sentWall: r3(tk.sentAt + wallOffset),
            masterDownMs: tk.rxAt === null ? null : r3(tk.t.due - tk.rxAt),
            wakeMs: r3(tk.t.stepAt - tk.t.due),
            stepMs: r3(tk.t.postedAt - tk.t.stepAt),
            hopMs: r3(tk.receivedAt - tk.t.postedAt),
            sendMs: r3(tk.sentAt - tk.receivedAt),
            totalMs: r3(tk.sentAt - tk.t.due),
          }
        : null,
    };
  }
}
