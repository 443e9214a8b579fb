/**
 * Health-checker state machine for one checker of one real server: pure transition functions that
 * follow keepalived 2.2.7 (keepalived/check/check_api.c register_checkers_thread, check_data.c
 * validate_check_config, and the epilogs of check_tcp.c, check_http.c, check_udp.c, check_ping.c,
 * check_dns.c, check_smtp.c, check_misc.c).
 *
 * No clock, no socket, no logger: a check's outcome comes in, the next delay and a transition go out.
 *
 * keepalived's rules, each a row of test/unit/checker-machine.test.ts:
 * - start: a checker is up unless `alpha` is set (alpha: down until its first success); its first
 *   check runs after 1 s (BOOTSTRAP_DELAY) plus a random share of `warmup` (default `delay_loop`).
 * - the first result decides at once: `retry_it` starts at `retry` ("for non alpha mode, one failure
 *   is enough initially"), so a first failure marks the checker down without retrying.
 * - success: up (if it was not, or it had not run), the retry count resets, next check after
 *   `delay_loop`.
 * - failure while up: `retry` more attempts `delay_before_retry` apart, then down and `delay_loop`.
 * - failure while down: no state change. TCP_CHECK still spends its retries (check_tcp.c); HTTP_GET and
 *   SSL_GET wait max(`delay_before_retry`, `delay_loop`) and re-check the URL that failed; the others
 *   wait `delay_loop`.
 * - HTTP_GET / SSL_GET check one URL per step, each success moving to the next URL after `delay_loop`;
 *   the checker is up when every URL succeeded in one pass. After a failed URL succeeds again the pass
 *   restarts from the first URL. `fast_recovery` skips the wait while the checker is down and no URL
 *   is known failed (or before the first pass).
 * - weights: MISC_CHECK with `misc_dynamic` (exit status − 2) and FILE_CHECK set this checker's share
 *   of the real server's weight (`weightOffset`, keepalived's cur_weight); a failure that marks the
 *   checker down drops it.
 */

/** How a checker kind retries (see the rules above). */
export type RetryStyle = 'tcp' | 'http' | 'generic';

export interface MachineConfig {
  style: RetryStyle;
  /** retries after a failure while up (keepalived `retry`, alias `nb_get_retry`) */
  retry: number;
  delayLoopMs: number;
  delayBeforeRetryMs: number;
  /** upper bound of the random start delay added to BOOTSTRAP_DELAY */
  warmupMs: number;
  alpha: boolean;
  /** HTTP_GET / SSL_GET: number of `url` blocks */
  urls: number;
  fastRecovery: boolean;
}

export interface CheckerState {
  up: boolean;
  hasRun: boolean;
  retryIt: number;
  /** HTTP: index of the URL the next check fetches */
  url: number;
  /** HTTP: index of the URL that exhausted its retries, null when none */
  failedUrl: number | null;
  /** this checker's share of the real server's weight (misc_dynamic, FILE_CHECK); 0 when none */
  weightOffset: number;
}

/** One check's outcome, as an executor returns it. */
export type Outcome =
  | { ok: true; reason: string; weightOffset?: number }
  | { ok: false; reason: string };

export type Transition = 'up' | 'down' | null;

export interface Step {
  state: CheckerState;
  /** the checker changed state (or its first result, which always reports) */
  transition: Transition;
  /** this checker's weight share changed */
  weightChanged: boolean;
  /** when the next check starts, relative to the end of this one */
  delayMs: number;
}

/** keepalived's BOOTSTRAP_DELAY (scheduler.h): 1 s before any checker's first run. */
export const BOOTSTRAP_DELAY_MS = 1000;

export function initialState(cfg: MachineConfig): CheckerState {
  return { up: !cfg.alpha, hasRun: false, retryIt: cfg.retry, url: 0, failedUrl: null, weightOffset: 0 };
}

/** Delay of the first check: BOOTSTRAP_DELAY + warmup × random (`rand` in [0, 1]). */
export function firstDelayMs(cfg: MachineConfig, rand: number): number {
  return BOOTSTRAP_DELAY_MS + Math.floor(cfg.warmupMs * Math.min(1, Math.max(0, rand)));
}

/** The URL an HTTP checker fetches next (its failed URL while it has one). */
export function nextUrl(s: CheckerState): number {
  return s.failedUrl ?? s.url;
}

function settle(s: CheckerState, next: CheckerState, delayMs: number): Step {
  const changed = next.up !== s.up || (!s.hasRun && next.hasRun);
  const transition: Transition = changed ? (next.up ? 'up' : 'down') : null;
  return { state: next, transition, weightChanged: next.weightOffset !== s.weightOffset, delayMs };
}

function offsetOf(o: Outcome, current: number): number {
  return o.ok && o.weightOffset !== undefined ? o.weightOffset : current;
}

/** TCP_CHECK (check_tcp.c tcp_epilog): retries are spent even while down. */
function tcpStep(cfg: MachineConfig, s: CheckerState, o: Outcome): Step {
  const next = { ...s, hasRun: true };
  let delay: number;
  if (o.ok || s.retryIt >= cfg.retry) {
    delay = cfg.delayLoopMs;
    next.retryIt = 0;
    if (o.ok) {
      next.up = true;
      next.weightOffset = offsetOf(o, s.weightOffset);
    } else if (s.up || !s.hasRun) {
      next.up = false;
      next.weightOffset = 0;
    }
  } else {
    delay = cfg.delayBeforeRetryMs;
    next.retryIt = s.retryIt + 1;
  }
  return settle(s, next, delay);
}

/**
 * UDP_CHECK, PING_CHECK, DNS_CHECK, SMTP_CHECK, MISC_CHECK, FILE_CHECK: retries only while up (or
 * before the first result).
 */
function genericStep(cfg: MachineConfig, s: CheckerState, o: Outcome): Step {
  const next = { ...s, hasRun: true };
  let delay = cfg.delayLoopMs;
  const live = s.up || !s.hasRun;
  if (o.ok || (live && s.retryIt >= cfg.retry)) {
    next.retryIt = 0;
    if (o.ok) {
      next.up = true;
      next.weightOffset = offsetOf(o, s.weightOffset);
    } else {
      next.up = false;
      next.weightOffset = 0;
    }
  } else if (s.up) {
    delay = cfg.delayBeforeRetryMs;
    next.retryIt = s.retryIt + 1;
  }
  return settle(s, next, delay);
}

/** HTTP_GET / SSL_GET (check_http.c epilog, timeout_epilog, http_handle_response). */
function httpStep(cfg: MachineConfig, s: CheckerState, o: Outcome): Step {
  const next = { ...s };
  if (o.ok) {
    // REGISTER_CHECKER_NEW: this URL is fine, move on
    const at = nextUrl(s);
    const more = at + 1 < cfg.urls;
    next.url = more ? at + 1 : 0;
    next.retryIt = 0;
    if (!more && s.failedUrl === null) {
      next.up = true;
      next.hasRun = true;
      next.weightOffset = offsetOf(o, s.weightOffset);
    } else if (s.failedUrl !== null) {
      // the failed URL answers again: check every URL from the first one
      next.failedUrl = null;
      next.url = 0;
    }
    if (!next.hasRun) next.retryIt = cfg.retry;
    const fast = cfg.fastRecovery && (!next.hasRun || (!next.up && next.failedUrl === null));
    return settle(s, next, fast ? 0 : cfg.delayLoopMs);
  }
  if (s.up || !s.hasRun) {
    // REGISTER_CHECKER_RETRY
    next.hasRun = true;
    next.retryIt = s.retryIt + 1;
    if (next.retryIt > cfg.retry) {
      if (s.up) {
        next.up = false;
        next.weightOffset = 0;
      }
      next.failedUrl = nextUrl(s);
    }
  }
  // REGISTER_CHECKER_FAILED when already down: nothing changes
  const delay = next.failedUrl !== null ? Math.max(cfg.delayBeforeRetryMs, cfg.delayLoopMs) : cfg.delayBeforeRetryMs;
  return settle(s, next, delay);
}

/** Apply one check's outcome. */
export function onOutcome(cfg: MachineConfig, s: CheckerState, o: Outcome): Step {
  switch (cfg.style) {
    case 'tcp':
      return tcpStep(cfg, s, o);
    case 'http':
      return httpStep(cfg, s, o);
    case 'generic':
      return genericStep(cfg, s, o);
    default: {
      const never: never = cfg.style;
      throw new Error(`unknown retry style ${String(never)}`);
    }
  }
}
