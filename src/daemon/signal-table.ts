/**
 * keepalived's signals (keepalived 2.2.7 lib/signals.c get_signum, lib/signals.h), glibc numbering:
 * SIGRTMIN is 34 there (glibc keeps 32 and 33 for itself) and SIGRTMAX 64. `keepalived --signum=NAME`
 * prints these numbers and monitoring tools send what it prints, so the table must be exact.
 * Pure: no process, no signal is touched here (src/io/signals.ts catches them).
 */

/** glibc's SIGRTMIN / SIGRTMAX on Linux (the addon's signalRange() reports the running libc's). */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

/** What the daemon does on a signal: keepalived's vrrp_signal_init, plus 'ignore' for the rest it catches. */
export type SignalAction = 'stop' | 'reload' | 'data' | 'stats' | 'stats-clear' | 'json' | 'ignore';

/** keepalived's sigfunc names (case-sensitive, as its strcmp) → signal number. TDUMP exists only in THREAD_DUMP builds (not Debian's). */
export const SIGNAL_FUNCTIONS: Readonly<Record<string, number>> = Object.freeze({
  STOP: 15, // SIGTERM
  RELOAD: 1, // SIGHUP
  DATA: 10, // SIGUSR1
  STATS: 12, // SIGUSR2
  STATS_CLEAR: SIGRTMAX - 1, // SIGSTATS_CLEAR
  JSON: SIGRTMIN + 2, // SIGJSON
});

/** `--signum=NAME`: the number keepalived prints, or undefined where it says "Unknown sigfunc NAME" (exit 1). */
export function signumOf(name: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(SIGNAL_FUNCTIONS, name) ? SIGNAL_FUNCTIONS[name] : undefined;
}

const ACTIONS = new Map<number, SignalAction>([
  [1, 'reload'],
  [2, 'stop'], // SIGINT: keepalived's sigend_vrrp, like SIGTERM
  [15, 'stop'],
  [10, 'data'],
  [12, 'stats'],
  [SIGRTMAX - 1, 'stats-clear'],
  [SIGRTMIN + 2, 'json'],
]);

/**
 * The action for a caught signal. keepalived ignores every other signal but the fatal ones
 * (signal_handler_parent_init), so a real-time signal it has no use for (34, a stale `--signum`
 * answer of ours) leaves it running: the same here.
 */
export function actionOf(signo: number): SignalAction {
  return ACTIONS.get(signo) ?? 'ignore';
}

/** The signals the daemon catches from its first instruction on: keepalived's, and every real-time signal. */
export function caughtSignals(rtmin = SIGRTMIN, rtmax = SIGRTMAX): number[] {
  const out = [1, 2, 10, 12, 15];
  for (let s = rtmin; s <= rtmax; s++) out.push(s);
  return out;
}

/** A signal's name for log lines: SIGHUP, SIGRTMIN+2, SIGRTMAX-1. */
export function signalName(signo: number): string {
  const std: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 10: 'SIGUSR1', 12: 'SIGUSR2', 15: 'SIGTERM' };
  if (std[signo]) return std[signo];
  if (signo >= SIGRTMIN && signo <= SIGRTMAX) {
    const up = signo - SIGRTMIN;
    const down = SIGRTMAX - signo;
    return up <= down ? (up === 0 ? 'SIGRTMIN' : `SIGRTMIN+${up}`) : down === 0 ? 'SIGRTMAX' : `SIGRTMAX-${down}`;
  }
  return `signal ${signo}`;
}
