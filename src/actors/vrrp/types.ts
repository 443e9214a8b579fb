/**
 * Types of the VRRP instance state machine (RFC 3768 §6 for v2, RFC 5798 §6 for v3, with the
 * keepalived 2.2.7 deviations listed in shared/reference/keepalived-behaviour.md).
 *
 * Everything here is plain data: the daemon resolves `InstanceParams` from keepalived.conf, the
 * actor feeds `VrrpEvent`s to `step()` and executes the returned `Intent`s, and the supervisor keeps
 * `InstanceState` as a msgpack snapshot. No classes, no functions, no Maps, no `undefined`
 * (absent values are `null`), so a snapshot round-trips through msgpackr unchanged.
 *
 * Times are milliseconds on whatever monotonic clock the actor uses (`event.now`); intervals on the
 * wire are centiseconds (`...Cs`) as in RFC 5798 §5.2.7.
 */

/** RFC 5798 §6.4 states, plus keepalived's FAULT and STOP. */
export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/**
 * Timers the machine arms. The actor keeps one real timer per name and sends
 * `{ type: 'timer', timer }` when it fires at or after the deadline it was given.
 * - advert: Adver_Timer (MASTER)
 * - masterDown: Master_Down_Timer (BACKUP)
 * - garp: the second GARP/NA burst `garp_master_delay` after becoming MASTER
 * - garpLowerPrio: the delayed burst `garp_lower_prio_delay` after a lower-priority advert (MASTER)
 * There is deliberately no preempt-delay or GARP-refresh timer: keepalived keeps both as plain
 * deadlines checked when an advert arrives (preempt_delay) or is sent (garp_master_refresh), see
 * `InstanceState.preemptAt` / `garpRefreshAt`.
 */
export type TimerName = 'advert' | 'masterDown' | 'garp' | 'garpLowerPrio';

export const TIMER_NAMES: readonly TimerName[] = ['advert', 'masterDown', 'garp', 'garpLowerPrio'];

/** GARP / unsolicited NA schedule (keepalived.conf(5) `vrrp_garp_*`, `garp_*`). 0 disables a delay/refresh. */
export interface GarpParams {
  /** `garp_master_delay` (default 5 s): second burst after becoming MASTER; 0 = no second burst. */
  masterDelayMs: number;
  /** `garp_master_repeat` (default 5): packets per burst on becoming MASTER and after the delay. */
  masterRepeat: number;
  /** `garp_master_refresh` (default 0 = off): periodic burst while MASTER. */
  masterRefreshMs: number;
  /** `garp_master_refresh_repeat` (default 1). */
  masterRefreshRepeat: number;
  /** `vrrp_garp_interval` / `vrrp_gna_interval`: spacing between packets of one burst (io layer applies it). */
  intervalMs: number;
  /** `garp_lower_prio_delay` (defaults to garp_master_delay): delayed burst after a lower-priority advert. */
  lowerPrioDelayMs: number;
  /** `garp_lower_prio_repeat` (defaults to garp_master_repeat): burst after a lower-priority advert; 0 = none. */
  lowerPrioRepeat: number;
}

/** Flat per-instance parameters, resolved from keepalived.conf by the daemon. */
export interface InstanceParams {
  name: string;
  vrid: number;
  version: 2 | 3;
  family: 4 | 6;
  /** Configured (base) priority 1..255. */
  priority: number;
  /** advert_int in centiseconds (v2: whole seconds × 100). */
  advertIntCs: number;
  /** `state MASTER|BACKUP` — only a priority-255 owner really starts as MASTER (keepalived). */
  initialState: 'MASTER' | 'BACKUP';
  /** !nopreempt */
  preempt: boolean;
  /** `preempt_delay` in ms (0 = none). */
  preemptDelayMs: number;
  /** RFC 5798 Accept_Mode (`accept` / `no_accept`); the machine only carries it. */
  accept: boolean;
  /** unicast_src_ip or the interface's primary address: our IP for the tie-break (RFC 5798 §6.4.3). */
  primaryAddress: string;
  vips: string[];
  /** `lower_prio_no_advert`: a MASTER does not answer a lower-priority advert with its own. */
  lowerPrioNoAdvert: boolean;
  /** `higher_prio_send_advert`: a MASTER losing to a higher-priority advert first sends one advert. */
  higherPrioSendAdvert: boolean;
  garp: GarpParams;
  /**
   * Member of a `vrrp_sync_group` (keepalived vrrp_sync.c): its Master_Down_Timer expiring only
   * makes it *want* MASTER (a `syncWant` intent); it becomes MASTER when the group lets it, through a
   * `sync` event (vrrp_sync_can_goto_master / vrrp_sync_master). Absent = not in a group.
   */
  syncGroup?: boolean;
}

/** Inputs to the machine. `now` is ms on the actor's monotonic clock. */
export type VrrpEvent =
  /** The instance is configured and its interface is ready (RFC 5798 §6.4.1 Startup). */
  | { type: 'startup'; now: number }
  /** A validated advertisement for our VRID (decoder already checked TTL, checksum, auth, addresses). */
  | { type: 'advert'; now: number; from: string; priority: number; maxAdverIntCs: number }
  /** A timer set by a `setTimer` intent fired. Stale firings (deadline cleared/moved) are ignored. */
  | { type: 'timer'; now: number; timer: TimerName }
  /** Aggregated tracker state: `fault: true` while any tracked interface/script/file is in fault. */
  | { type: 'fault'; now: number; fault: boolean; reason?: string }
  /** Tracker weights changed the effective priority (base + weights, clamped 1..254; 255 stays 255). */
  | { type: 'priority'; now: number; effective: number }
  /** SIGTERM / instance removed (RFC 5798 §6.4.3 Shutdown). */
  | { type: 'shutdown'; now: number }
  /**
   * vrrp_sync_group: another member moved and the group forces this one along (keepalived
   * vrrp_sync_master → vrrp_state_goto_master, vrrp_sync_backup → vrrp_state_leave_master /
   * vrrp_state_leave_fault). Ignored while the instance has a fault of its own, in INIT or STOP.
   */
  | { type: 'sync'; now: number; to: 'MASTER' | 'BACKUP' };

/** Why a GARP/NA burst is sent (for logs and counters). */
export type GarpReason = 'master' | 'masterDelay' | 'refresh' | 'lowerPrio' | 'lowerPrioDelay';

/** Effects for the actor / io layer to carry out, in order. */
export type Intent =
  /** Send one advertisement with this priority (0 = we are leaving MASTER, RFC 5798 §6.4.3). */
  | { type: 'sendAdvert'; priority: number }
  /** Configure all VIPs (and virtual routes/rules) on the interface. */
  | { type: 'addVips' }
  /** Remove all VIPs. */
  | { type: 'removeVips' }
  /** Burst of `count` GARP (IPv4) / unsolicited NA (IPv6) for every VIP, `intervalMs` apart. */
  | { type: 'sendGarp'; count: number; intervalMs: number; reason: GarpReason }
  /** (Re)arm a timer to fire at absolute time `at` (ms). */
  | { type: 'setTimer'; timer: TimerName; at: number }
  | { type: 'clearTimer'; timer: TimerName }
  /** keepalived `notify_master_rx_lower_pri`: as MASTER we heard a lower-priority advert. */
  | { type: 'masterRxLowerPri'; from: string; priority: number }
  /** Effective priority changed (keepalived `notify_priority_changes`, log line). */
  | { type: 'priorityChanged'; from: number; to: number }
  /**
   * vrrp_sync_group member (params.syncGroup): `master: true` — our Master_Down_Timer expired and we
   * want MASTER but wait for the group (keepalived wantstate = MASTER, "Receive advertisement
   * timeout"); `master: false` — we no longer want it (an advert from a master we accept).
   */
  | { type: 'syncWant'; master: boolean }
  /**
   * State change: the actor logs `(VI_1) Entering MASTER STATE` and runs notify scripts. It comes
   * after the kernel effects of the same step (VIPs added/removed first, as keepalived notifies
   * after changing addresses).
   */
  | { type: 'transition'; from: VrrpState; to: VrrpState; reason: string };

/** Counters for `--dump-state` / SNMP-like statistics (keepalived `vrrp_stats`). */
export interface VrrpCounters {
  advertRcvd: number;
  advertSent: number;
  becomeMaster: number;
  releaseMaster: number;
  priorityZeroRcvd: number;
  priorityZeroSent: number;
  /** Adverts with a lower priority received while MASTER. */
  lowerPrioRcvd: number;
  /** Adverts discarded by a preempting BACKUP (lower priority, preempt on). */
  advertDiscarded: number;
  garpBursts: number;
  masterDownExpired: number;
  faults: number;
}

/** Plain-data instance state: the snapshot a restarted actor resumes from. */
export interface InstanceState {
  state: VrrpState;
  /** Base priority plus tracker weights (what we advertise as MASTER). */
  effectivePriority: number;
  /** Master_Adver_Interval in cs: ours as MASTER; v3 BACKUP adopts the master's (RFC 5798 §6.4.2). */
  masterAdverIntCs: number;
  /** Source address of the current master's last advert (our primaryAddress while MASTER; null when unknown). */
  masterAddress: string | null;
  /** Priority in the current master's last advert (ours while MASTER; null when unknown). */
  masterPriority: number | null;
  /** Absolute deadlines (ms) of armed timers, null when not armed. */
  timers: Record<TimerName, number | null>;
  /** Trackers report a fault (the instance sits in FAULT while true). */
  fault: boolean;
  faultReason: string | null;
  /**
   * End of the current `preempt_delay` window (BACKUP): set by the first lower-priority advert,
   * cleared by an advert of equal/higher priority and on entering BACKUP. Until then lower-priority
   * adverts still reset the master-down timer; afterwards they are discarded (keepalived preempt_time).
   */
  preemptAt: number | null;
  /** Next `garp_master_refresh` burst is due after this time, checked at each advert sent (MASTER). */
  garpRefreshAt: number | null;
  /** vrrp_sync_group member whose Master_Down_Timer expired: waiting for the group to go MASTER (keepalived wantstate). */
  syncWantMaster?: boolean;
  /** Time of the last transition (or of initialState()). */
  since: number;
  /** Reason of the last transition. */
  reason: string;
  counters: VrrpCounters;
}

export interface Step {
  state: InstanceState;
  intents: Intent[];
}
