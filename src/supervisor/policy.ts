/**
 * Restart policy as data (STYLE.md §7, Erlang/OTP intensity/period):
 * an actor may restart `maxRestarts` times within any `withinMs` window; the n-th restart inside the
 * window waits `backoffMs[n]` (the last entry repeats). One more failure inside the window declares the
 * actor FAULT: it is stopped, reported (event + state) and not restarted again.
 */
export interface RestartPolicy {
  maxRestarts: number;
  withinMs: number;
  backoffMs: readonly number[];
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxRestarts: 10, withinMs: 60_000, backoffMs: [0, 10, 100, 1000] };

export type RestartDecision = { action: 'restart'; delayMs: number; attempt: number; history: number[] } | { action: 'fault'; history: number[] };

/**
 * Pure: given the times of earlier restarts (same clock as `now`), decide what to do about a new failure.
 * `history` is the pruned list including this restart (store it back).
 */
export function decideRestart(policy: RestartPolicy, history: readonly number[], now: number): RestartDecision {
  const recent = history.filter((t) => now - t < policy.withinMs);
  if (recent.length >= policy.maxRestarts) return { action: 'fault', history: recent };
  const b = policy.backoffMs;
  const delayMs = b.length === 0 ? 0 : b[Math.min(recent.length, b.length - 1)]!;
  return { action: 'restart', delayMs, attempt: recent.length + 1, history: [...recent, now] };
}

export function validatePolicy(p: RestartPolicy): string | null {
  if (!Number.isInteger(p.maxRestarts) || p.maxRestarts < 0) return 'maxRestarts must be an integer >= 0';
  if (!(p.withinMs > 0)) return 'withinMs must be > 0';
  if (!p.backoffMs.every((x) => Number.isFinite(x) && x >= 0)) return 'backoffMs entries must be >= 0';
  return null;
}
