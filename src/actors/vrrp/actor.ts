/**
 * The VRRP instance actor (one per `vrrp_instance`), run by an actor host on a worker thread.
 *
 * It only decides: events arrive as messages (validated adverts, tracker fault/priority, shutdown),
 * timers fire through the runtime, `step()` computes the next state and intents, and every intent
 * that touches the kernel (adverts, VIPs, GARP/NA, notify) goes to the main thread as an `effects`
 * message, where src/io carries it out. After each step the whole `InstanceState` is reported as the
 * snapshot, so a crashed or hung actor resumes exactly where it was: a MASTER keeps advertising
 * and the VIPs, which live in the kernel, are never touched by a restart.
 */
import { defineActor, type ActorContext } from '../runtime';
import { step, initialState } from './machine';
import type { InstanceParams, InstanceState, Intent, VrrpEvent, TimerName } from './types';

export interface VrrpActorInit {
  params: InstanceParams;
  /** A reload carries the previous incarnation's state over into changed parameters. */
  carry?: InstanceState | null;
}

/** Messages the main thread sends to a VRRP actor. */
export type ToVrrpActor =
  /** `rxAt`: when the main thread read the packet (monoNow), so the hop to this thread does not delay timers. */
  | { type: 'advert'; from: string; priority: number; maxAdverIntCs: number; rxAt?: number }
  | { type: 'fault'; fault: boolean; reason?: string }
  | { type: 'priority'; effective: number }
  | { type: 'shutdown' }
  /** vrrp_sync_group: the group forces this member to MASTER or BACKUP. */
  | { type: 'sync'; to: 'MASTER' | 'BACKUP' };

/** What a VRRP actor sends to the main thread. */
export type FromVrrpActor = {
  type: 'effects';
  instance: string;
  /** Kernel/notify intents in order (timers are handled inside the actor). */
  intents: Intent[];
  state: InstanceState;
  /** a timer-driven step that sends an advert: its deadline and stamps (src/daemon/advert-timing.ts) */
  timing?: { due: number; stepAt: number; postedAt: number };
};

interface Working {
  params: InstanceParams;
  s: InstanceState;
}

function apply(ctx: ActorContext<FromVrrpActor, Working>, w: Working, e: VrrpEvent, due?: number): void {
  const r = step(w.params, w.s, e);
  w.s = r.state;
  const effects: Intent[] = [];
  for (const i of r.intents) {
    if (i.type === 'setTimer') ctx.setTimer(i.timer, i.at);
    else if (i.type === 'clearTimer') ctx.clearTimer(i.timer);
    else effects.push(i);
  }
  if (effects.length > 0) {
    const timed = due !== undefined && effects.some((i) => i.type === 'sendAdvert') ? { timing: { due, stepAt: e.now, postedAt: ctx.now() } } : {};
    ctx.send({ type: 'effects', instance: w.params.name, intents: effects, state: w.s, ...timed });
  }
  ctx.report(w.s);
}

/**
 * A takeover is the one path a BACKUP runs for the first time at the moment that matters, when
 * V8 has not compiled it yet (~0.5 ms). step() is pure, so run the takeover once on a throw-away
 * state at start: the code is warm when the real master-down timer fires. Nothing leaves here.
 */
function warmUp(params: InstanceParams, now: number): void {
  try {
    const p: InstanceParams = { ...params, priority: params.priority === 255 ? 254 : params.priority };
    let s = step(p, initialState(p), { type: 'startup', now }).state;
    const due = s.timers.masterDown ?? now;
    s = step(p, s, { type: 'timer', now: due, timer: 'masterDown' }).state;
    s = step(p, s, { type: 'timer', now: s.timers.advert ?? due, timer: 'advert' }).state;
    step(p, s, { type: 'advert', now: due + 1, from: p.primaryAddress, priority: 0, maxAdverIntCs: p.advertIntCs });
  } catch {
    /* a warm-up must never keep an actor from starting */
  }
}

export const actor = defineActor<ToVrrpActor, FromVrrpActor, VrrpActorInit, Working>({
  start(ctx, init, snapshot) {
    const restored = (snapshot as InstanceState | undefined) ?? init.carry ?? null;
    if (restored && restored.state !== 'INIT' && restored.state !== 'STOP') {
      // Resume: the runtime re-arms the timers it mirrored; the state says what we were doing.
      ctx.state = { params: init.params, s: restored };
      if (init.carry && !snapshot) {
        // A reload with new parameters: re-arm from the carried deadlines, then let priority follow.
        for (const [name, at] of Object.entries(restored.timers) as [TimerName, number | null][]) {
          if (at !== null) ctx.setTimer(name, at);
        }
        if (restored.effectivePriority !== init.params.priority && init.params.priority !== 255) {
          apply(ctx, ctx.state, { type: 'priority', now: ctx.now(), effective: init.params.priority });
        }
      }
      ctx.report(restored);
      return;
    }
    ctx.state = { params: init.params, s: initialState(init.params) };
    warmUp(init.params, ctx.now());
    apply(ctx, ctx.state, { type: 'startup', now: ctx.now() });
  },

  receive(ctx, msg) {
    const w = ctx.state;
    if (!w) return;
    const now = ctx.now();
    switch (msg.type) {
      case 'advert':
        apply(ctx, w, { type: 'advert', now: typeof msg.rxAt === 'number' && msg.rxAt <= now ? msg.rxAt : now, from: msg.from, priority: msg.priority, maxAdverIntCs: msg.maxAdverIntCs });
        return;
      case 'fault':
        apply(ctx, w, { type: 'fault', now, fault: msg.fault, reason: msg.reason });
        return;
      case 'priority':
        apply(ctx, w, { type: 'priority', now, effective: msg.effective });
        return;
      case 'shutdown':
        apply(ctx, w, { type: 'shutdown', now });
        return;
      case 'sync':
        apply(ctx, w, { type: 'sync', now, to: msg.to === 'MASTER' ? 'MASTER' : 'BACKUP' });
        return;
      default: {
        const never: never = msg;
        ctx.log.warn({ msg: never }, 'vrrp actor: unknown message dropped');
      }
    }
  },

  timer(ctx, name) {
    const w = ctx.state;
    if (!w) return;
    const now = ctx.now();
    const due = w.s.timers[name as TimerName];
    if (due !== null && due !== undefined && now - due > 5) ctx.log.debug({ instance: w.params.name, timer: name, lateMs: now - due }, 'timer fired late');
    apply(ctx, w, { type: 'timer', now, timer: name as TimerName }, due ?? undefined);
  },
});
