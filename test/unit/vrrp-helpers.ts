/** Shared fixtures for the VRRP machine unit tests (not a test file itself). */
import { defaultGarpParams, initialState, step } from '../../src/actors/vrrp';
import type { InstanceParams, InstanceState, Intent, VrrpEvent } from '../../src/actors/vrrp';

export function params(over: Partial<InstanceParams> = {}): InstanceParams {
  return {
    name: 'VI_1', vrid: 51, version: 2, family: 4, priority: 100, advertIntCs: 100,
    initialState: 'BACKUP', preempt: true, preemptDelayMs: 0, accept: false,
    primaryAddress: '192.0.2.11', vips: ['192.0.2.100/24'],
    lowerPrioNoAdvert: false, higherPrioSendAdvert: false, garp: defaultGarpParams(),
    ...over,
  };
}

/** Run events in order from a state; returns the final state and every intent produced. */
export function run(p: InstanceParams, events: VrrpEvent[], from?: InstanceState): { state: InstanceState; intents: Intent[]; last: Intent[] } {
  let s = from ?? initialState(p);
  const all: Intent[] = [];
  let last: Intent[] = [];
  for (const e of events) {
    const r = step(p, s, e);
    s = r.state;
    last = r.intents;
    all.push(...r.intents);
  }
  return { state: s, intents: all, last };
}

export function types(intents: Intent[]): string[] {
  return intents.map((i) => (i.type === 'setTimer' || i.type === 'clearTimer' ? `${i.type}:${i.timer}` : i.type));
}

/** An instance that is BACKUP since t=0. */
export function backup(p: InstanceParams): InstanceState {
  return run(p, [{ type: 'startup', now: 0 }]).state;
}

/** An instance that became MASTER at t=`at` via its master-down timer. */
export function master(p: InstanceParams, at = 0): InstanceState {
  if (p.priority === 255) return run(p, [{ type: 'startup', now: at }]).state;
  const b = backup(p);
  const due = b.timers.masterDown!;
  const s = run(p, [{ type: 'timer', now: due, timer: 'masterDown' }], b).state;
  return s;
}

export function advert(now: number, from: string, priority: number, maxAdverIntCs = 100): VrrpEvent {
  return { type: 'advert', now, from, priority, maxAdverIntCs };
}
