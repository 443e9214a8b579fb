/**
 * VRRP timer arithmetic (RFC 3768 §6.1 / RFC 5798 §6.1), in keepalived 2.2.7's integer units so
 * our deadlines land on the same microsecond as keepalived's (VRRP_TIMER_SKEW in vrrp.h).
 * Pure: no clock. Results are milliseconds (fractional).
 */
import type { InstanceParams, InstanceState, Intent, TimerName } from './types';
import { TIMER_NAMES } from './types';

/**
 * Skew_Time in microseconds.
 * - v2, RFC 3768 §6.1: (256 − Priority) / 256 seconds, independent of the advert interval.
 * - v3, RFC 5798 §6.1: ((256 − Priority) × Master_Adver_Interval) / 256 centiseconds; keepalived
 *   computes it as (256 − p) × cs × 625 / 16 µs (625/16 = 10 000/256), truncated.
 * keepalived uses the *effective* priority.
 */
export function skewUs(version: 2 | 3, priority: number, masterAdverIntCs: number): number {
  return version === 3
    ? Math.floor(((256 - priority) * masterAdverIntCs * 625) / 16)
    : Math.floor(((256 - priority) * 1_000_000) / 256);
}

/** Skew_Time in ms (RFC 3768 §6.1, RFC 5798 §6.1). */
export function skewMs(version: 2 | 3, priority: number, masterAdverIntCs: number): number {
  return skewUs(version, priority, masterAdverIntCs) / 1000;
}

/**
 * Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, in ms (RFC 3768 §6.1, RFC 5798 §6.1).
 * v2, priority 90, 1 s: 3000 + 648.437 = 3648.437 ms (keepalived measured 3648.9 ms on the wire).
 */
export function masterDownMs(version: 2 | 3, priority: number, masterAdverIntCs: number): number {
  return (3 * masterAdverIntCs * 10_000 + skewUs(version, priority, masterAdverIntCs)) / 1000;
}

/** Master_Down_Interval for an instance in its current state. */
export function instanceMasterDownMs(p: InstanceParams, s: InstanceState): number {
  return masterDownMs(p.version, s.effectivePriority, s.masterAdverIntCs);
}

/** Skew_Time for an instance in its current state. */
export function instanceSkewMs(p: InstanceParams, s: InstanceState): number {
  return skewMs(p.version, s.effectivePriority, s.masterAdverIntCs);
}

/** Our own Advertisement_Interval in ms. */
export function advertIntervalMs(p: InstanceParams): number {
  return p.advertIntCs * 10;
}

/** All timers disarmed. */
export function noTimers(): Record<TimerName, number | null> {
  return { advert: null, masterDown: null, garp: null, garpLowerPrio: null };
}

/**
 * What a restarted actor must re-arm after resuming from a snapshot: one `setTimer` per armed
 * deadline. A deadline already in the past fires at once (the machine handles late timers).
 */
export function resumeIntents(s: InstanceState): Intent[] {
  const out: Intent[] = [];
  for (const t of TIMER_NAMES) {
    const at = s.timers[t];
    if (at !== null) out.push({ type: 'setTimer', timer: t, at });
  }
  return out;
}
