/**
 * Deputy adverts: the main thread keeps a MASTER's adverts on time while its VRRP actor is late,
 * down or restarting (issue 13).
 *
 * The main thread holds each instance's last state (the `effects` snapshot), so it knows the
 * MASTER's next advert deadline (`timers.advert`). A timer waits for it plus GRACE; when the
 * actor's advert for that deadline has not arrived by then, the deputy runs the same pure step the
 * actor would (`step()` of machine.ts, an advert-timer event on that state) and sends the advert it
 * yields, and goes on doing so, deadline after deadline, until the actor speaks again.
 *
 * - The deadline is the state's Adver_Timer, but never later than one interval after the last
 *   advert that went out (the actor's or the deputy's): a restarted actor that lost its phase
 *   cannot open a gap. The actor's late advert for a deadline the deputy covered (one within half
 *   an interval of the deputy's) is not sent twice; the actor's state is adopted as it arrives.
 * - Every advert heard while MASTER is stepped too, only to learn whether the machine would leave
 *   MASTER (a better master, RFC 5798 §6.4.3): then the deputy stops and the actor decides (the
 *   advert is delivered to it, and again after a restart, since messages posted to a hung host are
 *   lost). If the actor has not spoken within RELEASE_AFTER of that advert (hung: its restart
 *   takes up to the supervisor's 2 s hang bound), the main thread removes the VIPs itself, as the
 *   step would, so the new master does not share them with us meanwhile; everything else (the
 *   transition, its log line and notify scripts) stays the actor's.
 * - A restarted actor resumes from the deputy's state when that is newer (Supervisor ResumeHook),
 *   so its next deadline is the deputy's and the numbers line up.
 * Bounds: the deputy sends within GRACE (≤ 5 ms) + timer latency of a missed deadline, so the peer
 * sees gaps ≤ advert_int + ~7 ms while the main thread runs on time, whatever the actor does.
 */
import { step } from '../actors/vrrp/machine';
import type { InstanceState, Intent, VrrpEvent } from '../actors/vrrp/types';
import type { FromVrrpActor } from '../actors/vrrp/actor';
import { TIMER_NAMES } from '../actors/vrrp/types';
import { monoNow } from '../actors/runtime';
import { VRRP } from '../actors/kinds';
import type { TimerTable } from '../supervisor';
import type { DaemonContext, Inst } from './context';

type Heard = Extract<VrrpEvent, { type: 'advert' }>;

interface Rec {
  timer: NodeJS.Timeout | null;
  /** deadline + grace the timer is armed for */
  at: number;
  /** when (monoNow) an advert of this instance last went out, from the actor or the deputy */
  lastSentAt: number;
  /** when the deputy last sent one */
  deputyAt: number;
  /** the deputy's state is newer than the actor's last */
  ahead: boolean;
  /** adverts sent in the current episode */
  episode: number;
  /** an advert heard while MASTER made the machine leave MASTER: no deputy adverts until the actor speaks */
  endedBy: Heard | null;
}

/** adverts sent; episodes (actor late → back); the deputy timer's worst lateness (main-thread scheduling) */
export interface DeputyStats { adverts: number; episodes: number; maxFireLateMs: number }

/** How long after a missed deadline the deputy sends: 5 % of advert_int, within 2..5 ms. */
export function deputyGraceMs(advertIntCs: number): number {
  return Math.min(5, Math.max(2, advertIntCs / 2));
}

const intervalMs = (inst: Inst): number => inst.r.params.advertIntCs * 10;

/** How long a better master's advert waits for the actor's own step before the main thread removes the VIPs. */
export const RELEASE_AFTER_MS = 20;

export class Deputy {
  private readonly recs = new WeakMap<Inst, Rec>();
  readonly stats: DeputyStats = { adverts: 0, episodes: 0, maxFireLateMs: 0 };

  constructor(
    private readonly ctx: DaemonContext,
    private readonly advertise: (inst: Inst, priority: number) => void,
    /** removes the instance's VIPs (the step's removeVips intent) */
    private readonly release: (inst: Inst) => void,
  ) {}

  /**
   * The actor's step arrived: adopt its state unless the deputy is ahead of it, and return the
   * intents to carry out (its adverts the deputy already sent are left out).
   */
  accept(inst: Inst, msg: FromVrrpActor): Intent[] {
    const rec = this.rec(inst);
    const theirs = msg.state;
    const now = monoNow();
    let intents = msg.intents;
    // the actor's late advert for a deadline the deputy just covered: not twice within half an interval
    if (theirs.state === 'MASTER' && now - rec.deputyAt < intervalMs(inst) / 2) {
      intents = intents.filter((i) => i.type !== 'sendAdvert' || i.priority === 0);
    }
    if (intents.some((i) => i.type === 'sendAdvert')) rec.lastSentAt = now;
    inst.state = theirs;
    if (rec.ahead) this.ctx.log.info({ instance: inst.vi.name, adverts: rec.episode }, `(${inst.vi.name}) VRRP actor back: the deputy stops after ${rec.episode} adverts`);
    rec.ahead = false;
    rec.episode = 0;
    rec.endedBy = null;
    this.arm(inst);
    return intents;
  }

  /** An advert for this instance passed the receive checks (it goes to the actor as well). */
  heard(inst: Inst, e: Heard): void {
    const s = inst.state;
    if (!s || s.state !== 'MASTER') return;
    const next = step(inst.r.params, s, e);
    if (next.state.state === 'MASTER') return;
    const rec = this.rec(inst);
    if (rec.endedBy) return;
    rec.endedBy = e;
    this.disarm(rec);
    if (rec.ahead) this.ctx.log.info({ instance: inst.vi.name, from: e.from, priority: e.priority }, `(${inst.vi.name}) deputy stops: advert from ${e.from} priority ${e.priority} wins; the actor decides`);
    if (!next.intents.some((i) => i.type === 'removeVips')) return;
    // accept() clears endedBy when the actor speaks; until then its VIPs would stay beside the new master's
    rec.timer = setTimeout(() => {
      rec.timer = null;
      if (rec.endedBy !== e || !inst.vipsHeld || this.ctx.stopping) return;
      this.ctx.log.warn({ code: 'E_ACTOR_LATE', instance: inst.vi.name, from: e.from, priority: e.priority }, `(${inst.vi.name}) advert from ${e.from} priority ${e.priority} wins while the VRRP actor is late: the main thread removes the VIPs`);
      this.release(inst);
    }, RELEASE_AFTER_MS);
    rec.timer.unref();
  }

  /**
   * Supervisor ResumeHook: the deputy's state when it is newer than the actor's snapshot, or when a
   * better master ended the deputy. That advert is replayed to the restarted actor (restarted()) and
   * must be its first event: an advert timer already due would have it advertise as MASTER first.
   */
  resume(id: string): { snapshot: InstanceState; timers: TimerTable } | null {
    const inst = this.instOf(id);
    const rec = inst && this.recs.get(inst);
    if (!inst || !rec || !inst.state || (!rec.ahead && !rec.endedBy)) return null;
    const held = rec.endedBy && inst.state.state === 'MASTER' && inst.state.timers.advert !== null
      ? Math.max(inst.state.timers.advert, monoNow() + intervalMs(inst)) : null;
    const s: InstanceState = held === null ? inst.state : { ...inst.state, timers: { ...inst.state.timers, advert: held } };
    const timers: TimerTable = [];
    for (const t of TIMER_NAMES) {
      const at = s.timers[t];
      if (at !== null) timers.push([t, at]);
    }
    return { snapshot: s, timers };
  }

  /** The actor runs again after a restart: the advert that ended the deputy may have been lost with its host. */
  restarted(id: string): void {
    const inst = this.instOf(id);
    const e = inst && this.recs.get(inst)?.endedBy;
    if (!inst || !e) return;
    // as heard now: its master was alive a moment ago (the adverts that followed were lost with the
    // host), and an old rxAt would put the Master_Down_Timer in the past
    this.ctx.sup.send(VRRP, inst.id, { type: 'advert', from: e.from, priority: e.priority, maxAdverIntCs: e.maxAdverIntCs });
  }

  /** A MASTER's next advert is due at its Adver_Timer, and never later than one interval after the last one sent. */
  private dueOf(inst: Inst, rec: Rec): number | null {
    const s = inst.state;
    const t = s?.state === 'MASTER' ? s.timers.advert : null;
    if (t === null) return null;
    return rec.lastSentAt > 0 ? Math.min(t, rec.lastSentAt + intervalMs(inst)) : t;
  }

  private instOf(id: string): Inst | undefined {
    for (const i of this.ctx.insts.values()) if (i.id === id) return i;
    return undefined;
  }

  private rec(inst: Inst): Rec {
    let r = this.recs.get(inst);
    if (!r) {
      r = { timer: null, at: 0, lastSentAt: 0, deputyAt: -Infinity, ahead: false, episode: 0, endedBy: null };
      this.recs.set(inst, r);
    }
    return r;
  }

  private disarm(rec: Rec): void {
    if (rec.timer) clearTimeout(rec.timer);
    rec.timer = null;
    rec.at = 0;
  }

  /** Wait for the MASTER's next deadline (plus grace); nothing to wait for in any other state. */
  private arm(inst: Inst): void {
    const rec = this.rec(inst);
    const due = this.dueOf(inst, rec);
    if (due === null || rec.endedBy || this.ctx.stopping) {
      this.disarm(rec);
      return;
    }
    const at = due + deputyGraceMs(inst.r.params.advertIntCs);
    if (rec.timer && rec.at === at) return;
    if (rec.timer) clearTimeout(rec.timer);
    rec.at = at;
    rec.timer = setTimeout(() => this.fire(inst, rec), Math.max(0, at - monoNow()));
    rec.timer.unref();
  }

  private fire(inst: Inst, rec: Rec): void {
    rec.timer = null;
    const s = inst.state;
    if (this.ctx.stopping || this.ctx.insts.get(inst.vi.name) !== inst || !s || s.state !== 'MASTER' || rec.endedBy) return;
    const st = this.ctx.sup.statusOf(inst.id);
    if (st !== 'running' && st !== 'restarting' && st !== 'starting') return;
    const now = monoNow();
    const due = this.dueOf(inst, rec);
    if (due === null) return;
    if (now < due + deputyGraceMs(inst.r.params.advertIntCs) - 0.5) {
      rec.at = 0;
      this.arm(inst);
      return;
    }
    // the deadline is the earlier of the state's and one interval after the last advert on the wire
    const r = step(inst.r.params, { ...s, timers: { ...s.timers, advert: due } }, { type: 'timer', timer: 'advert', now });
    // only the adverts: a GARP refresh stays the actor's, when it is back
    r.state.garpRefreshAt = s.garpRefreshAt;
    for (const i of r.intents) if (i.type === 'sendAdvert') this.advertise(inst, i.priority);
    if (rec.episode === 0) {
      this.stats.episodes++;
      this.ctx.log.warn({ code: 'E_ACTOR_LATE', instance: inst.vi.name, lateMs: Math.round(now - due), actor: st }, `(${inst.vi.name}) VRRP actor late by ${Math.round(now - due)} ms (${st}): the main thread sends its adverts (deputy)`);
    }
    rec.episode++;
    this.stats.adverts++;
    this.stats.maxFireLateMs = Math.max(this.stats.maxFireLateMs, Math.round((now - due - deputyGraceMs(inst.r.params.advertIntCs)) * 10) / 10);
    rec.lastSentAt = rec.deputyAt = now;
    rec.ahead = true;
    inst.state = r.state;
    rec.at = 0;
    this.arm(inst);
  }
}
