/**
 * The main-loop liveness monitor (one per process): a timer that measures how late the event loop
 * runs it (event-loop lag). Everything that asks "is the main thread alive and on time?" reads this
 * one: systemd's WATCHDOG=1 (src/io/sd-notify.ts startWatchdog(alive)), /healthz, and the
 * supervisor, which does not blame an actor host for a pong the main thread itself was too late
 * to read.
 *
 * Cost: one unreferenced timer every PERIOD_MS (it never keeps the process alive); the supervisor's
 * watchdog runs on the same turns (onTurn).
 */
import { performance } from 'node:perf_hooks';

const monotonicNow = (): number => performance.now();

/** how often the monitor's timer runs */
export const LIVENESS_PERIOD_MS = 500;
const PERIOD_MS = LIVENESS_PERIOD_MS;

export interface Liveness {
  /** Lag of the monitor's last turn (ms late against its schedule). */
  lagMs(): number;
  /** Largest lag seen since the last call of takeMaxLagMs() (then reset). */
  takeMaxLagMs(): number;
  /** ms since the monitor last ran: more than PERIOD_MS + lag means the loop is blocked right now. */
  sinceTurnMs(): number;
  /** The loop ran within `boundMs` of its schedule, and is not blocked now. */
  alive(boundMs?: number): boolean;
  /**
   * Run `fn` on every turn of the monitor (every LIVENESS_PERIOD_MS): other periodic checks of the
   * main thread (the supervisor's watchdog) share its timer instead of waking the thread again.
   * Returns the unsubscribe function.
   */
  onTurn(fn: () => void): () => void;
}

const riders = new Set<() => void>();

let lastTurn = 0;
let lag = 0;
let maxLag = 0;
let timer: NodeJS.Timeout | null = null;

function start(): void {
  lastTurn = monotonicNow();
  timer = setInterval(() => {
    const now = monotonicNow();
    lag = Math.max(0, now - lastTurn - PERIOD_MS);
    if (lag > maxLag) maxLag = lag;
    lastTurn = now;
    for (const fn of riders) fn();
  }, PERIOD_MS);
  timer.unref();
}

const monitor: Liveness = {
  lagMs: () => lag,
  takeMaxLagMs: () => {
    const m = maxLag;
    maxLag = 0;
    return m;
  },
  sinceTurnMs: () => monotonicNow() - lastTurn,
  alive: (boundMs = 5_000) => lag < boundMs && monotonicNow() - lastTurn < PERIOD_MS + boundMs,
  onTurn: (fn) => {
    riders.add(fn);
    return () => riders.delete(fn);
  },
};

/** The process's monitor (started on first use). */
export function liveness(): Liveness {
  if (!timer) start();
  return monitor;
}
