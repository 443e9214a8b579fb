/**
 * MISC_CHECK and FILE_CHECK verdicts: what a script's exit or a tracked file's value means for the
 * checker (pure). keepalived 2.2.7 check_misc.c misc_check_child_thread, trackers/track_file.c
 * update_track_file_status / process_update_checker_track_file_status.
 */
import type { ScriptJobResult } from '../notifier/job-messages';
import type { Outcome } from './machine';

/**
 * MISC_CHECK: exit 0 is up, anything else down. With `misc_dynamic`, an exit status of 2..255 is up
 * too and sets the real server's weight to status − 2 (so this checker's share is status − 2 − the
 * configured weight); exit 0 restores the configured weight; exit 1 is down. A timeout ("timed out")
 * and a signal ("failed … due to signal") are failures.
 */
export function miscVerdict(r: ScriptJobResult, dynamic: boolean, rsWeight: number): Outcome {
  if (r.error) return { ok: false, reason: `failed (${r.message ?? r.error})` };
  if (r.timedOut) return { ok: false, reason: 'timed out' };
  if (r.aborted) return { ok: false, reason: 'failed (aborted)' };
  if (r.code === null) return { ok: false, reason: `failed (due to signal ${r.signal ?? '?'})` };
  if (r.code === 0) return dynamic ? { ok: true, reason: 'succeeded', weightOffset: 0 } : { ok: true, reason: 'succeeded' };
  if (dynamic && r.code >= 2 && r.code <= 255) return { ok: true, reason: 'succeeded', weightOffset: r.code - 2 - rsWeight };
  return { ok: false, reason: `failed (exited with status ${r.code})` };
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * FILE_CHECK: with weight 0 a non-zero value (zero with `reverse`) is down, otherwise up; with a
 * weight, the checker stays up and its share of the weight is value × weight (negated with `reverse`),
 * down only if that reaches keepalived's IPVS_WEIGHT_FAULT (INT32_MIN).
 */
export function fileVerdict(value: number, weight: number, reverse: boolean): Outcome {
  if (weight === 0) {
    return (value !== 0) !== reverse
      ? { ok: false, reason: 'tracked file now FAULT state' }
      : { ok: true, reason: 'tracked file leaving FAULT state', weightOffset: 0 };
  }
  const s = value * weight * (reverse ? -1 : 1);
  if (s <= INT32_MIN) return { ok: false, reason: 'tracked file now FAULT state' };
  return { ok: true, reason: 'tracked file value', weightOffset: Math.min(INT32_MAX, s) };
}
