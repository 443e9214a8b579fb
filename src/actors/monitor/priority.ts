/**
 * Effective priority and FAULT of a VRRP instance from its trackers — pure, no IO.
 *
 * Mirrors keepalived 2.2.7 vrrp_track.c (initialise_*_tracking_priorities, process_script_update_priority,
 * process_update_vrrp_track_file_status, process_update_track_process_status) and
 * vrrp_set_effective_priority(). keepalived keeps a running `total_priority` and applies deltas; the
 * steady state those deltas reach is a function of the trackers' current status, which is what this
 * module computes from scratch on every change (so a restarted actor needs no history).
 *
 * Rules (m = -1 with `reverse`, else 1):
 * - interface / script / process (a boolean "ok"): weight 0 ⇒ FAULT when ok !== !reverse;
 *   weight > 0 ⇒ + weight·m while ok; weight < 0 ⇒ + weight·m while not ok.
 * - script still in its initial state (never ran, no `init_fail`): contributes nothing; with weight 0
 *   it holds the instance in INIT (keepalived's num_script_init) — reported as `init`.
 *   `init_fail`: the script counts as failed until its first result.
 * - file: value v (missing/deleted file ⇒ 0). weight 0 ⇒ FAULT when (v !== 0) !== reverse.
 *   Otherwise s = v·weight·m clamped to [-254, 253]; s = -254 ⇒ FAULT, else + s.
 * - process: ok = quorum ≤ running ≤ quorum_max.
 * - the instance's own interface (unless `dont_track_primary`) is tracked with weight 0.
 * - base priority 255 (address owner): the priority is never changed; FAULT rules still apply.
 * - effective = clamp(base + Σ, 1, 254).
 */

export type TrackerStatus =
  | { kind: 'interface'; name: string; up: boolean; weight: number; reverse?: boolean; primary?: boolean }
  | {
      kind: 'script';
      name: string;
      /** 'init': never returned yet; 'init-fail': init_fail configured and no result yet; 'done': has a result. */
      initState: 'init' | 'init-fail' | 'done';
      /** true when the rise/fall machine is in the OK range (result >= rise). Ignored unless initState 'done'. */
      ok: boolean;
      weight: number;
      reverse?: boolean;
    }
  | { kind: 'file'; name: string; value: number; weight: number; reverse?: boolean }
  | {
      kind: 'process';
      name: string;
      running: number;
      quorum: number;
      /** default: unbounded */
      quorumMax?: number;
      weight: number;
      reverse?: boolean;
    };

export interface EffectivePriority {
  effective: number;
  fault: boolean;
  /** a weight-0 script has not returned yet: keepalived keeps the instance in INIT until it does. */
  init: boolean;
  /** human readable, e.g. "track_interface eth1 down", "track_script chk_x failed (weight -20)". */
  reasons: string[];
}

export const VRRP_PRIO_OWNER = 255;
const FILE_FAULT = -254;

/** Keepalived's clamp of a tracked file's contribution. */
export function fileStatus(value: number, weight: number, reverse = false): number {
  const m = reverse ? -1 : 1;
  if (weight === 0) return (value !== 0) !== reverse ? FILE_FAULT : 0;
  const s = value * weight * m;
  return s < FILE_FAULT ? FILE_FAULT : s > 253 ? 253 : s;
}

/**
 * Parse a track_file's content like keepalived (strtol(buf, NULL, 0): leading blanks, sign, 0x hex,
 * leading-0 octal, stops at the first non-digit; nothing parsable ⇒ 0). Returns undefined for a number
 * outside int32 (keepalived logs "Invalid number … - ignoring" and keeps the previous value).
 */
export function parseTrackFileValue(text: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (!m) return 0;
  const sign = m[1] === '-' ? -1 : 1;
  const digits = m[2]!;
  let v: number;
  if (/^0[xX]/.test(digits)) v = parseInt(digits.slice(2), 16);
  else if (digits.length > 1 && digits[0] === '0') v = parseInt(digits, 8);
  else v = parseInt(digits, 10);
  v *= sign;
  if (v < -2147483648 || v > 2147483648) return undefined;
  return v;
}

function boolContribution(ok: boolean, weight: number, reverse: boolean | undefined): number {
  const m = reverse ? -1 : 1;
  if (weight > 0) return ok ? weight * m : 0;
  if (weight < 0) return ok ? 0 : weight * m;
  return 0;
}

/** Weight-0 rule shared by interfaces, scripts and processes: down when ok disagrees with !reverse. */
function boolFault(ok: boolean, reverse: boolean | undefined): boolean {
  return ok !== !reverse;
}

export function computeEffective(base: number, trackers: readonly TrackerStatus[]): EffectivePriority {
  let total = base;
  let fault = false;
  let init = false;
  const reasons: string[] = [];
  const owner = base === VRRP_PRIO_OWNER;

  for (const t of trackers) {
    switch (t.kind) {
      case 'interface': {
        const label = t.primary ? `interface ${t.name}` : `track_interface ${t.name}`;
        if (t.weight === 0) {
          if (boolFault(t.up, t.reverse)) {
            fault = true;
            reasons.push(`${label} ${t.up ? 'up (reverse)' : 'down'}`);
          }
        } else {
          const d = boolContribution(t.up, t.weight, t.reverse);
          if (d !== 0) reasons.push(`${label} ${t.up ? 'up' : 'down'} (${d > 0 ? '+' : ''}${d})`);
          total += d;
        }
        break;
      }
      case 'script': {
        const label = `track_script ${t.name}`;
        if (t.initState === 'init') {
          if (t.weight === 0) {
            init = true;
            reasons.push(`${label} not yet run`);
          }
          break;
        }
        const ok = t.initState === 'init-fail' ? false : t.ok;
        if (t.weight === 0) {
          if (boolFault(ok, t.reverse)) {
            fault = true;
            reasons.push(`${label} ${ok ? 'succeeded (reverse)' : 'failed'}`);
          }
        } else {
          const d = boolContribution(ok, t.weight, t.reverse);
          if (d !== 0) reasons.push(`${label} ${ok ? 'succeeded' : 'failed'} (${d > 0 ? '+' : ''}${d})`);
          total += d;
        }
        break;
      }
      case 'file': {
        const label = `track_file ${t.name}`;
        const s = fileStatus(t.value, t.weight, t.reverse);
        if (s === FILE_FAULT) {
          fault = true;
          reasons.push(`${label} value ${t.value} (FAULT)`);
        } else if (s !== 0) {
          reasons.push(`${label} value ${t.value} (${s > 0 ? '+' : ''}${s})`);
          total += s;
        }
        break;
      }
      case 'process': {
        const label = `track_process ${t.name}`;
        const max = t.quorumMax ?? Number.POSITIVE_INFINITY;
        const ok = t.running >= t.quorum && t.running <= max;
        if (t.weight === 0) {
          if (boolFault(ok, t.reverse)) {
            fault = true;
            reasons.push(`${label} quorum ${ok ? 'gained (reverse)' : 'lost'} (${t.running} running)`);
          }
        } else {
          const d = boolContribution(ok, t.weight, t.reverse);
          if (d !== 0) reasons.push(`${label} quorum ${ok ? 'gained' : 'lost'} (${d > 0 ? '+' : ''}${d})`);
          total += d;
        }
        break;
      }
      default: {
        const never: never = t;
        throw new Error(`unknown tracker ${(never as { kind: string }).kind}`);
      }
    }
  }

  // vrrp_set_effective_priority(): the address owner keeps 255; others are clamped to 1..254.
  const effective = owner ? VRRP_PRIO_OWNER : total < 1 ? 1 : total >= VRRP_PRIO_OWNER ? VRRP_PRIO_OWNER - 1 : total;
  return { effective, fault, init, reasons };
}

/**
 * The instance's own interface as a tracker: weight 0 (FAULT when down) unless `dont_track_primary`,
 * in which case it is not tracked at all.
 */
export function primaryInterfaceTracker(name: string, up: boolean, dontTrackPrimary: boolean): TrackerStatus[] {
  return dontTrackPrimary ? [] : [{ kind: 'interface', name, up, weight: 0, primary: true }];
}

/**
 * keepalived (vrrp_complete_instance): a track_interface naming the instance's own interface is
 * dropped ("Ignoring track_interface X since own interface"); the primary tracker covers it.
 */
export function ownTrackInterfaces<T extends { name: string }>(tracked: readonly T[], ownIfname: string): { kept: T[]; ignored: T[] } {
  return { kept: tracked.filter((t) => t.name !== ownIfname), ignored: tracked.filter((t) => t.name === ownIfname) };
}
