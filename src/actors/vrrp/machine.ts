/**
 * VRRP instance state machine: pure transition functions (RFC 3768 §6.3/§6.4 for VRRPv2,
 * RFC 5798 §6.4 for VRRPv3), matching keepalived 2.2.7 where it departs from the RFCs
 * (keepalived/vrrp/vrrp.c: vrrp_state_backup, vrrp_state_master_rx, vrrp_state_master_tx,
 * vrrp_state_leave_master, vrrp_state_leave_fault; vrrp_scheduler.c: vrrp_init_state,
 * try_up_instance; vrrp_track.c: down_instance, vrrp_set_effective_priority).
 *
 * No clock, no socket, no logger: time arrives in events, effects leave as intents.
 * `step()` never mutates its input and returns plain data (msgpack-safe).
 */
import type { InstanceParams, InstanceState, Intent, Step, TimerName, VrrpCounters, VrrpEvent, VrrpState } from './types';
import { advertIntervalMs, instanceMasterDownMs, instanceSkewMs, noTimers } from './timers';
import { parseIp } from '../../protocol';
import { garpOnAdvertSent, garpOnBecomeMaster, garpOnLowerPrioAdvert, garpBurst } from './garp';

const PRIO_OWNER = 255;

function zeroCounters(): VrrpCounters {
  return {
    advertRcvd: 0, advertSent: 0, becomeMaster: 0, releaseMaster: 0, priorityZeroRcvd: 0, priorityZeroSent: 0,
    lowerPrioRcvd: 0, advertDiscarded: 0, garpBursts: 0, masterDownExpired: 0, faults: 0,
  };
}

/** RFC 5798 §6.4.1: every instance starts in Initialize, waiting for the Startup event. */
export function initialState(p: InstanceParams): InstanceState {
  return {
    state: 'INIT',
    effectivePriority: p.priority,
    masterAdverIntCs: p.advertIntCs,
    masterAddress: null,
    masterPriority: null,
    timers: noTimers(),
    fault: false,
    faultReason: null,
    preemptAt: null,
    garpRefreshAt: null,
    since: 0,
    reason: 'init',
    counters: zeroCounters(),
  };
}

/* ------------------------------------------------------------------------------------------ */
/* Step context: a private working copy plus the intents produced, so each rule reads top-down. */

interface Ctx {
  readonly p: InstanceParams;
  readonly s: InstanceState;
  readonly now: number;
  readonly intents: Intent[];
  /** Kernel/notify effects queued to go after the other intents (transition last). */
  readonly tail: Intent[];
}

function clone(s: InstanceState): InstanceState {
  return { ...s, timers: { ...s.timers }, counters: { ...s.counters } };
}

function setTimer(c: Ctx, timer: TimerName, at: number): void {
  c.s.timers[timer] = at;
  c.intents.push({ type: 'setTimer', timer, at });
}

function clearTimer(c: Ctx, timer: TimerName): void {
  if (c.s.timers[timer] === null) return;
  c.s.timers[timer] = null;
  c.intents.push({ type: 'clearTimer', timer });
}

function sendAdvert(c: Ctx, priority: number): void {
  c.intents.push({ type: 'sendAdvert', priority });
  c.s.counters.advertSent++;
  if (priority === 0) c.s.counters.priorityZeroSent++;
}

function push(c: Ctx, i: Intent | null): void {
  if (!i) return;
  c.intents.push(i);
  if (i.type === 'sendGarp') c.s.counters.garpBursts++;
}

function transition(c: Ctx, to: VrrpState, reason: string): void {
  const from = c.s.state;
  c.s.state = to;
  c.s.since = c.now;
  c.s.reason = reason;
  c.tail.push({ type: 'transition', from, to, reason });
}

function done(c: Ctx): Step {
  return { state: c.s, intents: [...c.intents, ...c.tail] };
}

/**
 * Compare two addresses of the same family as unsigned big-endian numbers (RFC 5798 §6.4.3
 * "primary IPvX Address of the sender is greater than the local primary IPvX Address").
 * Returns <0, 0, >0; 0 also when the families differ or a string is not an address (keepalived
 * vrrp_saddr_cmp returns 0 for a family mismatch).
 */
export function compareAddresses(a: string, b: string): number {
  const x = parseIp(a);
  const y = parseIp(b);
  if (!x || !y || x.length !== y.length) return 0;
  return Buffer.compare(x, y);
}

/* ------------------------------------------------------------------------------------------ */
/* Transitions shared by several rows.                                                         */

/**
 * Become MASTER. RFC 5798 §6.4.1/§6.4.2: send an ADVERTISEMENT, broadcast gratuitous ARP /
 * unsolicited NA, set Adver_Timer, transition to Master (RFC 3768 §6.4.1/§6.4.2 likewise).
 * keepalived: VIPs added, advert then a GARP burst (measured on the wire in that order),
 * delayed burst after garp_master_delay, refresh deadline, Master_Adver_Interval = ours.
 */
function becomeMaster(c: Ctx, reason: string): void {
  const { p, s, now } = c;
  clearTimer(c, 'masterDown');
  s.preemptAt = null;
  if (s.syncWantMaster) s.syncWantMaster = false;
  s.masterAdverIntCs = p.advertIntCs;
  s.masterAddress = p.primaryAddress;
  s.masterPriority = s.effectivePriority;
  s.counters.becomeMaster++;
  // RFC 5798 §6.4.2 / RFC 3768 §6.4.2 order: the ADVERTISEMENT first, then the addresses and the
  // gratuitous ARP. Adding the VIPs costs the main thread ~0.7 ms (netlink, firewall, log line)
  // that the peer's view of the takeover does not have to wait for (bench/README.md, failover).
  sendAdvert(c, s.effectivePriority);
  c.intents.push({ type: 'addVips' });
  const plan = garpOnBecomeMaster(p.garp, now);
  push(c, plan.burst);
  s.garpRefreshAt = plan.refreshAt;
  setTimer(c, 'advert', now + advertIntervalMs(p));
  if (plan.delayedAt !== null) setTimer(c, 'garp', plan.delayedAt);
  transition(c, 'MASTER', reason);
}

/** Stop everything a MASTER runs: Adver_Timer and the GARP schedule (keepalived vrrp_restore_interface). */
function stopMasterTimers(c: Ctx): void {
  clearTimer(c, 'advert');
  clearTimer(c, 'garp');
  clearTimer(c, 'garpLowerPrio');
  c.s.garpRefreshAt = null;
}

/**
 * Enter BACKUP with a fresh Master_Down_Timer. keepalived (vrrp_state_leave_master,
 * vrrp_state_leave_fault) resets Master_Adver_Interval to our own advert_int here, even when the
 * advert that made us leave carried another one (RFC 5798 §6.4.3 would adopt it; the next advert
 * from the new master does that anyway).
 */
function enterBackup(c: Ctx, reason: string): void {
  const { p, s, now } = c;
  s.preemptAt = null;
  s.masterAdverIntCs = p.advertIntCs;
  setTimer(c, 'masterDown', now + instanceMasterDownMs(p, s));
  transition(c, 'BACKUP', reason);
}

/** MASTER → BACKUP on a better advert (RFC 5798 §6.4.3, keepalived vrrp_state_leave_master(advF=false)). */
function masterToBackup(c: Ctx, reason: string): void {
  stopMasterTimers(c);
  c.intents.push({ type: 'removeVips' });
  c.s.counters.releaseMaster++;
  enterBackup(c, reason);
}

/**
 * Enter FAULT (keepalived down_instance): a MASTER sends a priority-0 advert and releases its VIPs
 * (reference: VIP released ~18 ms after the tracked interface went down, priority 0 advert sent);
 * a BACKUP stops its Master_Down_Timer. Adverts are ignored while in FAULT.
 */
function enterFault(c: Ctx, reason: string): void {
  const { s } = c;
  if (s.state === 'MASTER') {
    sendAdvert(c, 0);
    stopMasterTimers(c);
    c.intents.push({ type: 'removeVips' });
    s.counters.releaseMaster++;
  }
  clearTimer(c, 'masterDown');
  s.preemptAt = null;
  s.masterAddress = null;
  s.masterPriority = null;
  s.masterAdverIntCs = c.p.advertIntCs;
  s.counters.faults++;
  transition(c, 'FAULT', reason);
}

/* ------------------------------------------------------------------------------------------ */
/* Rows of the state tables.                                                                   */

/**
 * RFC 5798 §6.4.1 / RFC 3768 §6.4.1 — Initialize: Startup event.
 * Priority 255 (address owner): become MASTER at once. Otherwise set Master_Down_Timer and go
 * BACKUP — keepalived also does this for `state MASTER` below 255 (vrrp_init_state), which then
 * becomes MASTER when that timer expires. A fault already reported at startup ⇒ FAULT (init).
 */
function onStartup(c: Ctx): void {
  const { p, s } = c;
  if (s.state !== 'INIT' && s.state !== 'STOP') return;
  if (s.fault) {
    s.counters.faults++;
    transition(c, 'FAULT', s.faultReason ?? 'fault at startup');
    return;
  }
  if (p.priority === PRIO_OWNER) {
    becomeMaster(c, 'priority 255 (address owner) at startup');
    return;
  }
  enterBackup(c, p.initialState === 'MASTER' ? 'startup (state MASTER below 255 waits for master down)' : 'startup');
}

/**
 * RFC 5798 §6.4.2 / RFC 3768 §6.4.2 — Backup: an ADVERTISEMENT is received (keepalived
 * vrrp_state_backup).
 * - priority 0: Master_Down_Timer = Skew_Time;
 * - nopreempt, or priority ≥ ours, or inside the preempt_delay window: adopt the advertised
 *   interval (v3), reset Master_Down_Timer; the first lower-priority advert opens the
 *   preempt_delay window, an equal/higher one closes it;
 * - else (lower priority, preempt, no delay left): discard; the down timer runs out and we preempt.
 */
function backupOnAdvert(c: Ctx, e: Extract<VrrpEvent, { type: 'advert' }>): void {
  const { p, s, now } = c;
  if (e.priority === 0) {
    setTimer(c, 'masterDown', now + instanceSkewMs(p, s));
    return;
  }
  const inPreemptDelay = p.preemptDelayMs > 0 && (s.preemptAt === null || s.preemptAt > now);
  if (!p.preempt || e.priority >= s.effectivePriority || inPreemptDelay) {
    if (p.version === 3) s.masterAdverIntCs = e.maxAdverIntCs;
    s.masterAddress = e.from;
    s.masterPriority = e.priority;
    if (p.preemptDelayMs > 0) {
      if (e.priority >= s.effectivePriority) s.preemptAt = null;
      else if (s.preemptAt === null) s.preemptAt = now + p.preemptDelayMs;
    }
    setTimer(c, 'masterDown', now + instanceMasterDownMs(p, s));
    // a sync group member that hears a master it accepts no longer wants MASTER
    if (s.syncWantMaster) {
      s.syncWantMaster = false;
      c.intents.push({ type: 'syncWant', master: false });
    }
    return;
  }
  s.counters.advertDiscarded++;
  s.masterAddress = e.from; // keepalived records it (SNMP) but leaves the timer alone
  s.masterPriority = e.priority;
}

/**
 * RFC 5798 §6.4.3 / RFC 3768 §6.4.3 — Master: an ADVERTISEMENT is received (keepalived
 * vrrp_state_master_rx and its dispatcher).
 * - priority 0: send an advert now (and reset Adver_Timer);
 * - higher priority, or equal with a greater primary address: go BACKUP (release VIPs, set
 *   Master_Down_Timer); with higher_prio_send_advert send one advert of ours first;
 * - lower priority, or equal with a smaller address (RFC: discard): keepalived answers with an
 *   advert unless lower_prio_no_advert, sends garp_lower_prio_repeat GARPs (+ one more burst after
 *   garp_lower_prio_delay) and fires notify_master_rx_lower_pri.
 * Whenever we stay MASTER and lower_prio_no_advert is off, Adver_Timer restarts from now.
 */
function masterOnAdvert(c: Ctx, e: Extract<VrrpEvent, { type: 'advert' }>): void {
  const { p, s, now } = c;
  const cmp = compareAddresses(e.from, p.primaryAddress);
  const higher = e.priority > s.effectivePriority || (e.priority === s.effectivePriority && cmp > 0);
  if (e.priority === 0 || (p.higherPrioSendAdvert && higher)) {
    sendAdvert(c, s.effectivePriority);
    if (e.priority === 0) return restartAdvertTimer(c);
  }
  if (e.priority === s.effectivePriority && cmp !== 0 && s.effectivePriority === PRIO_OWNER) {
    // keepalived: both sides claim to own the address — configuration error, step down to 254.
    s.effectivePriority = PRIO_OWNER - 1;
    c.intents.push({ type: 'priorityChanged', from: PRIO_OWNER, to: PRIO_OWNER - 1 });
  }
  if (e.priority < s.effectivePriority || (e.priority === s.effectivePriority && cmp < 0)) {
    s.counters.lowerPrioRcvd++;
    if (!p.lowerPrioNoAdvert) sendAdvert(c, s.effectivePriority);
    const plan = garpOnLowerPrioAdvert(p.garp, now);
    push(c, plan.burst);
    if (plan.delayedAt !== null) setTimer(c, 'garpLowerPrio', plan.delayedAt);
    c.intents.push({ type: 'masterRxLowerPri', from: e.from, priority: e.priority });
    return restartAdvertTimer(c);
  }
  if (e.priority > s.effectivePriority || (e.priority === s.effectivePriority && cmp > 0)) {
    s.masterAddress = e.from;
    s.masterPriority = e.priority;
    masterToBackup(c, e.priority > s.effectivePriority
      ? `higher priority advert (${e.priority} > ${s.effectivePriority}) from ${e.from}`
      : `equal priority advert from higher address ${e.from}`);
    return;
  }
  // Equal priority from our own address (keepalived logs a warning): stay MASTER.
  restartAdvertTimer(c);
}

/** keepalived dispatcher: "if we have sent an advert, reset the timer" (unless lower_prio_no_advert). */
function restartAdvertTimer(c: Ctx): void {
  if (!c.p.lowerPrioNoAdvert) setTimer(c, 'advert', c.now + advertIntervalMs(c.p));
}

/**
 * RFC 5798 §6.4.3 / RFC 3768 §6.4.3 — Master: Adver_Timer fires: send an ADVERTISEMENT, reset
 * the timer (keepalived vrrp_state_master_tx: also the garp_master_refresh check).
 */
function masterOnAdvertTimer(c: Ctx, due: number): void {
  const { p, s, now } = c;
  const r = garpOnAdvertSent(p.garp, s.garpRefreshAt, now);
  push(c, r.burst);
  s.garpRefreshAt = r.refreshAt;
  sendAdvert(c, s.effectivePriority);
  // Next deadline counts from this one, not from when the timer ran: a late firing (a busy
  // thread) then does not push every later advert back, so the interval does not drift.
  const next = due + advertIntervalMs(p);
  setTimer(c, 'advert', next > now ? next : now + advertIntervalMs(p));
}

function onTimer(c: Ctx, e: Extract<VrrpEvent, { type: 'timer' }>): void {
  const { s } = c;
  const due = s.timers[e.timer];
  if (due === null) return;                                   // cancelled: stale firing
  if (c.now < due) { setTimer(c, e.timer, due); return; }     // early/moved: re-arm
  s.timers[e.timer] = null;
  switch (e.timer) {
    case 'masterDown':
      // RFC 5798 §6.4.2 / RFC 3768 §6.4.2 — Backup: Master_Down_Timer fires ⇒ become MASTER.
      if (s.state !== 'BACKUP') return;
      s.counters.masterDownExpired++;
      if (c.p.syncGroup) {
        // keepalived vrrp_state_goto_master → !vrrp_sync_can_goto_master: wantstate = MASTER, the
        // down timer runs again (3 × Master_Adver_Interval + Skew_Time) and the group decides.
        s.syncWantMaster = true;
        setTimer(c, 'masterDown', c.now + instanceMasterDownMs(c.p, s));
        c.intents.push({ type: 'syncWant', master: true });
        return;
      }
      becomeMaster(c, 'master down timer expired');
      return;
    case 'advert':
      if (s.state === 'MASTER') masterOnAdvertTimer(c, due);
      return;
    case 'garp':
      // keepalived vrrp_gratuitous_arp_thread: second burst garp_master_delay after takeover.
      if (s.state === 'MASTER') push(c, garpBurst(c.p.garp, c.p.garp.masterRepeat, 'masterDelay'));
      return;
    case 'garpLowerPrio':
      if (s.state === 'MASTER') push(c, garpBurst(c.p.garp, c.p.garp.lowerPrioRepeat, 'lowerPrioDelay'));
      return;
    default: {
      const never: never = e.timer;
      return never;
    }
  }
}

/**
 * Trackers (keepalived down_instance / try_up_instance): any fault ⇒ FAULT; when the last fault
 * clears, an address owner whose configured state is MASTER goes MASTER at once, anyone else
 * goes BACKUP with a fresh Master_Down_Timer (vrrp_state_leave_fault).
 */
function onFault(c: Ctx, e: Extract<VrrpEvent, { type: 'fault' }>): void {
  const { p, s } = c;
  if (e.fault) {
    const wasFault = s.fault;
    s.fault = true;
    s.faultReason = e.reason ?? s.faultReason ?? 'fault';
    if (!wasFault && (s.state === 'MASTER' || s.state === 'BACKUP')) enterFault(c, s.faultReason);
    return;
  }
  if (!s.fault) return;
  s.fault = false;
  s.faultReason = null;
  if (s.state !== 'FAULT') return;
  if (p.priority === PRIO_OWNER && p.initialState === 'MASTER') becomeMaster(c, e.reason ?? 'fault cleared (address owner)');
  else enterBackup(c, e.reason ?? 'fault cleared');
}

/**
 * Tracker weights changed the effective priority (keepalived vrrp_set_effective_priority): an
 * address owner never changes; others are clamped to 1..254. A BACKUP's running Master_Down_Timer
 * moves by the change of Skew_Time. Nothing else happens at once: a MASTER advertises the new
 * priority with its next advert, and a preempting BACKUP that now outranks the master discards
 * the master's adverts and takes over when its down timer runs out (then the old master, hearing
 * the higher advert, goes BACKUP).
 */
function onPriority(c: Ctx, e: Extract<VrrpEvent, { type: 'priority' }>): void {
  const { p, s } = c;
  if (p.priority === PRIO_OWNER) return;
  const next = Math.min(PRIO_OWNER - 1, Math.max(1, Math.round(e.effective)));
  if (next === s.effectivePriority) return;
  const from = s.effectivePriority;
  const oldDown = instanceMasterDownMs(p, s);
  s.effectivePriority = next;
  const newDown = instanceMasterDownMs(p, s);
  const due = s.timers.masterDown;
  if (s.state === 'BACKUP' && due !== null) setTimer(c, 'masterDown', due + (newDown - oldDown));
  c.intents.push({ type: 'priorityChanged', from, to: next });
}

/**
 * RFC 5798 §6.4.2/§6.4.3 — Shutdown event (keepalived on SIGTERM): a MASTER cancels Adver_Timer,
 * sends a priority-0 advert and removes its VIPs; a BACKUP just cancels Master_Down_Timer; all end
 * in STOP (keepalived notifies STOP; the RFC's Initialize).
 */
function onShutdown(c: Ctx): void {
  const { s } = c;
  if (s.state === 'STOP') return;
  if (s.state === 'MASTER') {
    sendAdvert(c, 0);
    c.intents.push({ type: 'removeVips' });
  }
  stopMasterTimers(c);
  clearTimer(c, 'masterDown');
  s.preemptAt = null;
  transition(c, 'STOP', 'shutdown');
}

/**
 * vrrp_sync_group: the group forces this member (keepalived vrrp_sync.c, 2.2.7).
 * - MASTER (vrrp_sync_master → vrrp_state_goto_master): a BACKUP becomes MASTER at once — VIPs,
 *   advert, GARPs — as when its own timer expires;
 * - BACKUP (vrrp_sync_backup): a MASTER leaves with vrrp_state_leave_master(isync, false): VIPs
 *   released, no priority-0 advert, Master_Down_Timer set; a member in FAULT or INIT whose fault is
 *   gone leaves it (vrrp_state_leave_fault). A member with a fault of its own stays in FAULT.
 */
function onSync(c: Ctx, e: Extract<VrrpEvent, { type: 'sync' }>): void {
  const { s } = c;
  if (s.fault) return;
  if (e.to === 'MASTER') {
    if (s.state === 'BACKUP') becomeMaster(c, 'sync group going MASTER');
    return;
  }
  if (s.syncWantMaster) {
    s.syncWantMaster = false;
    c.intents.push({ type: 'syncWant', master: false });
  }
  if (s.state === 'MASTER') masterToBackup(c, 'sync group going BACKUP');
  else if (s.state === 'FAULT') enterBackup(c, 'sync group going BACKUP');
}

/**
 * Feed one event to an instance. Returns the next state and the intents to execute in order.
 * Pure: `s` is not modified.
 */
export function step(p: InstanceParams, s: InstanceState, e: VrrpEvent): Step {
  const c: Ctx = { p, s: clone(s), now: e.now, intents: [], tail: [] };
  switch (e.type) {
    case 'startup':
      onStartup(c);
      break;
    case 'advert':
      c.s.counters.advertRcvd++;
      if (e.priority === 0) c.s.counters.priorityZeroRcvd++;
      if (c.s.state === 'BACKUP') backupOnAdvert(c, e);
      else if (c.s.state === 'MASTER') masterOnAdvert(c, e);
      // INIT, FAULT, STOP: ignored (keepalived dispatcher_read)
      break;
    case 'timer':
      onTimer(c, e);
      break;
    case 'fault':
      onFault(c, e);
      break;
    case 'priority':
      onPriority(c, e);
      break;
    case 'shutdown':
      onShutdown(c);
      break;
    case 'sync':
      onSync(c, e);
      break;
    default: {
      const never: never = e;
      return never;
    }
  }
  return done(c);
}
