import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { pack, unpack } from 'msgpackr';
import { initialState, step, masterDownMs, resumeIntents, compareAddresses } from '../../src/actors/vrrp';
import type { InstanceState, Intent, VrrpEvent } from '../../src/actors/vrrp';
import { params, run, types, backup, master, advert } from './vrrp-helpers';

const DOWN_100 = masterDownMs(2, 100, 100); // 3609.375 ms

function find<T extends Intent['type']>(intents: Intent[], type: T): Extract<Intent, { type: T }>[] {
  return intents.filter((i): i is Extract<Intent, { type: T }> => i.type === type);
}

describe('RFC 3768 §6.4.1 / RFC 5798 §6.4.1 Initialize', () => {
  test('Startup with priority 255: send advert, GARP, set Adver_Timer, transition to MASTER at once', () => {
    const p = params({ priority: 255, initialState: 'MASTER' });
    const r = step(p, initialState(p), { type: 'startup', now: 1000 });
    assert.equal(r.state.state, 'MASTER');
    assert.deepEqual(types(r.intents), ['sendAdvert', 'addVips', 'sendGarp', 'setTimer:advert', 'setTimer:garp', 'transition']);
    assert.deepEqual(find(r.intents, 'sendAdvert'), [{ type: 'sendAdvert', priority: 255 }]);
    assert.equal(r.state.timers.advert, 2000);
    assert.deepEqual(find(r.intents, 'transition')[0], { type: 'transition', from: 'INIT', to: 'MASTER', reason: 'priority 255 (address owner) at startup' });
  });

  test('Startup below 255: set Master_Down_Timer, transition to BACKUP', () => {
    const p = params();
    const r = step(p, initialState(p), { type: 'startup', now: 1000 });
    assert.equal(r.state.state, 'BACKUP');
    assert.deepEqual(types(r.intents), ['setTimer:masterDown', 'transition']);
    assert.equal(r.state.timers.masterDown, 1000 + DOWN_100);
  });

  test('state MASTER below priority 255 starts as BACKUP and becomes MASTER when its master-down timer expires', () => {
    const p = params({ initialState: 'MASTER' });
    const b = step(p, initialState(p), { type: 'startup', now: 0 }).state;
    assert.equal(b.state, 'BACKUP');
    assert.equal(b.timers.masterDown, DOWN_100);
    const early = step(p, b, { type: 'timer', now: DOWN_100 - 1, timer: 'masterDown' });
    assert.equal(early.state.state, 'BACKUP', 'a timer firing before its deadline does not count');
    const m = step(p, b, { type: 'timer', now: DOWN_100, timer: 'masterDown' });
    assert.equal(m.state.state, 'MASTER');
  });

  test('adverts received in INIT are ignored', () => {
    const p = params();
    const r = step(p, initialState(p), advert(0, '192.0.2.12', 200));
    assert.equal(r.state.state, 'INIT');
    assert.deepEqual(r.intents, []);
  });
});

describe('RFC 3768 §6.4.2 / RFC 5798 §6.4.2 Backup', () => {
  test('Shutdown: cancel Master_Down_Timer, no advert, STOP', () => {
    const p = params();
    const r = step(p, backup(p), { type: 'shutdown', now: 10 });
    assert.equal(r.state.state, 'STOP');
    assert.deepEqual(types(r.intents), ['clearTimer:masterDown', 'transition']);
  });

  test('Master_Down_Timer fires: send advert, add VIPs, GARP, set Adver_Timer, transition to MASTER', () => {
    const p = params();
    const b = backup(p);
    const r = step(p, b, { type: 'timer', now: DOWN_100, timer: 'masterDown' });
    assert.equal(r.state.state, 'MASTER');
    assert.deepEqual(types(r.intents), ['sendAdvert', 'addVips', 'sendGarp', 'setTimer:advert', 'setTimer:garp', 'transition']);
    assert.equal(r.state.counters.becomeMaster, 1);
    assert.equal(r.state.counters.masterDownExpired, 1);
  });

  test('advert with priority 0: Master_Down_Timer set to Skew_Time', () => {
    const p = params();
    const r = step(p, backup(p), advert(500, '192.0.2.12', 0));
    assert.equal(r.state.timers.masterDown, 500 + (256 - 100) * 1000 / 256);
    assert.equal(r.state.counters.priorityZeroRcvd, 1);
  });

  test('advert with priority >= ours resets Master_Down_Timer', () => {
    const p = params();
    for (const prio of [100, 150]) {
      const r = step(p, backup(p), advert(700, '192.0.2.12', prio));
      assert.equal(r.state.timers.masterDown, 700 + DOWN_100);
      assert.equal(r.state.masterAddress, '192.0.2.12');
      assert.equal(r.state.masterPriority, prio);
    }
  });

  test('advert with lower priority while preempting is discarded: the timer runs out and we preempt', () => {
    const p = params();
    const b = backup(p);
    const r = step(p, b, advert(700, '192.0.2.12', 50));
    assert.equal(r.state.timers.masterDown, b.timers.masterDown);
    assert.deepEqual(r.intents, []);
    assert.equal(r.state.counters.advertDiscarded, 1);
  });

  test('nopreempt: a lower-priority advert still resets Master_Down_Timer (the returning higher node does not take the VIP back)', () => {
    const p = params({ preempt: false });
    const r = step(p, backup(p), advert(700, '192.0.2.12', 50));
    assert.equal(r.state.timers.masterDown, 700 + DOWN_100);
  });

  test('v3: a backup adopts the master\'s advertised interval (RFC 5798 §6.4.2) and its down timer follows it', () => {
    const p = params({ version: 3, advertIntCs: 100 });
    const r = step(p, backup(p), advert(700, '192.0.2.12', 150, 10));
    assert.equal(r.state.masterAdverIntCs, 10);
    assert.equal(r.state.timers.masterDown, 700 + masterDownMs(3, 100, 10));
    assert.equal(masterDownMs(3, 100, 10), 300 + 60.937);
  });

  test('v2: the advertised interval is not adopted', () => {
    const p = params({ version: 2 });
    const r = step(p, backup(p), advert(700, '192.0.2.12', 150, 200));
    assert.equal(r.state.masterAdverIntCs, 100);
  });
});

describe('RFC 3768 §6.4.3 / RFC 5798 §6.4.3 Master', () => {
  test('Adver_Timer fires: send advert with effective priority, reset the timer', () => {
    const p = params();
    const m = master(p);
    const at = m.timers.advert!;
    const r = step(p, m, { type: 'timer', now: at, timer: 'advert' });
    assert.deepEqual(r.intents, [{ type: 'sendAdvert', priority: 100 }, { type: 'setTimer', timer: 'advert', at: at + 1000 }]);
  });

  test('Shutdown: priority 0 advert, VIPs removed, timers cancelled, STOP', () => {
    const p = params();
    const r = step(p, master(p), { type: 'shutdown', now: 5000 });
    assert.equal(r.state.state, 'STOP');
    assert.deepEqual(types(r.intents), ['sendAdvert', 'removeVips', 'clearTimer:advert', 'clearTimer:garp', 'transition']);
    assert.deepEqual(r.intents[0], { type: 'sendAdvert', priority: 0 });
    assert.equal(r.state.counters.priorityZeroSent, 1);
  });

  test('advert with priority 0: send an advert now and reset Adver_Timer', () => {
    const p = params();
    const r = step(p, master(p), advert(4000, '192.0.2.12', 0));
    assert.equal(r.state.state, 'MASTER');
    assert.deepEqual(r.intents, [{ type: 'sendAdvert', priority: 100 }, { type: 'setTimer', timer: 'advert', at: 5000 }]);
  });

  test('advert with higher priority: cancel Adver_Timer and GARP schedule, remove VIPs, set Master_Down_Timer, BACKUP', () => {
    const p = params();
    const r = step(p, master(p), advert(4000, '192.0.2.12', 150));
    assert.equal(r.state.state, 'BACKUP');
    assert.deepEqual(types(r.intents), ['clearTimer:advert', 'clearTimer:garp', 'removeVips', 'setTimer:masterDown', 'transition']);
    assert.equal(r.state.timers.masterDown, 4000 + DOWN_100);
    assert.equal(r.state.timers.advert, null);
    assert.equal(r.state.counters.releaseMaster, 1);
  });

  test('equal priority, sender\'s IPv4 primary address higher than ours: BACKUP', () => {
    const p = params({ primaryAddress: '192.0.2.11' });
    assert.equal(step(p, master(p), advert(4000, '192.0.2.12', 100)).state.state, 'BACKUP');
  });

  test('equal priority, sender\'s IPv4 primary address lower than ours: stay MASTER and answer', () => {
    const p = params({ primaryAddress: '192.0.2.11' });
    const r = step(p, master(p), advert(4000, '192.0.2.9', 100));
    assert.equal(r.state.state, 'MASTER');
    assert.equal(find(r.intents, 'sendAdvert').length, 1);
  });

  test('equal priority tie-break on the higher IPv6 primary address', () => {
    const p = params({ family: 6, version: 3, primaryAddress: 'fe80::11', vips: ['2001:db8::100'] });
    assert.equal(step(p, master(p), advert(4000, 'fe80::12', 100)).state.state, 'BACKUP');
    assert.equal(step(p, master(p), advert(4000, 'fe80::9', 100)).state.state, 'MASTER');
    assert.equal(step(p, master(p), advert(4000, 'fe80::1:0', 100)).state.state, 'BACKUP');
  });

  test('lower priority advert: keepalived answers with an advert and garp_lower_prio_repeat GARPs, then again after garp_lower_prio_delay', () => {
    const p = params();
    const m = master(p);
    const r = step(p, m, advert(4000, '192.0.2.12', 50));
    assert.equal(r.state.state, 'MASTER');
    assert.deepEqual(types(r.intents), ['sendAdvert', 'sendGarp', 'setTimer:garpLowerPrio', 'masterRxLowerPri', 'setTimer:advert']);
    assert.deepEqual(find(r.intents, 'sendGarp')[0], { type: 'sendGarp', count: 5, intervalMs: 0, reason: 'lowerPrio' });
    assert.equal(r.state.timers.garpLowerPrio, 9000);
    const later = step(p, r.state, { type: 'timer', now: 9000, timer: 'garpLowerPrio' });
    assert.deepEqual(later.intents, [{ type: 'sendGarp', count: 5, intervalMs: 0, reason: 'lowerPrioDelay' }]);
  });

  test('lower_prio_no_advert: no answer advert and Adver_Timer is not restarted', () => {
    const p = params({ lowerPrioNoAdvert: true, garp: { ...params().garp, lowerPrioRepeat: 0 } });
    const m = master(p);
    const r = step(p, m, advert(4000, '192.0.2.12', 50));
    assert.deepEqual(types(r.intents), ['masterRxLowerPri']);
    assert.equal(r.state.timers.advert, m.timers.advert);
  });

  test('higher_prio_send_advert: one advert of ours before going BACKUP', () => {
    const p = params({ higherPrioSendAdvert: true });
    const r = step(p, master(p), advert(4000, '192.0.2.12', 150));
    assert.equal(r.state.state, 'BACKUP');
    assert.deepEqual(r.intents[0], { type: 'sendAdvert', priority: 100 });
  });

  test('two address owners: keepalived steps down to 254 and goes BACKUP if the peer\'s address is higher', () => {
    const p = params({ priority: 255, initialState: 'MASTER' });
    const r = step(p, master(p), advert(4000, '192.0.2.12', 255));
    assert.equal(r.state.effectivePriority, 254);
    assert.equal(r.state.state, 'BACKUP');
  });
});

describe('keepalived preempt_delay', () => {
  test('counts from the first lower-priority advert; after it the normal master-down rule applies', () => {
    const p = params({ priority: 150, preemptDelayMs: 10_000 });
    let s = backup(p);
    // lower-priority master advertising every second
    s = step(p, s, advert(1000, '192.0.2.12', 100)).state;
    assert.equal(s.preemptAt, 11_000);
    const down150 = masterDownMs(2, 150, 100);
    assert.equal(s.timers.masterDown, 1000 + down150, 'inside the delay a lower advert resets the timer');
    for (let t = 2000; t <= 11_000; t += 1000) s = step(p, s, advert(t, '192.0.2.12', 100)).state;
    assert.equal(s.preemptAt, 11_000, 'the window does not restart');
    assert.equal(s.timers.masterDown, 10_000 + down150, 'the advert at exactly 11 s is past the window and discarded');
    s = step(p, s, advert(12_000, '192.0.2.12', 100)).state;
    assert.equal(s.timers.masterDown, 10_000 + down150);
    const m = step(p, s, { type: 'timer', now: 10_000 + down150, timer: 'masterDown' });
    assert.equal(m.state.state, 'MASTER');
  });

  test('an equal or higher priority advert closes the window', () => {
    const p = params({ priority: 150, preemptDelayMs: 10_000 });
    let s = step(p, backup(p), advert(1000, '192.0.2.12', 100)).state;
    s = step(p, s, advert(2000, '192.0.2.12', 200)).state;
    assert.equal(s.preemptAt, null);
  });
});

describe('GARP / unsolicited NA schedule', () => {
  test('5 at takeover with the first advert, 5 more after garp_master_delay (5 s) if still MASTER, nothing after', () => {
    const p = params();
    const b = backup(p);
    const t0 = b.timers.masterDown!;
    const r = step(p, b, { type: 'timer', now: t0, timer: 'masterDown' });
    const first = find(r.intents, 'sendGarp');
    assert.deepEqual(first, [{ type: 'sendGarp', count: 5, intervalMs: 0, reason: 'master' }]);
    assert.ok(r.intents.findIndex((i) => i.type === 'sendAdvert') < r.intents.findIndex((i) => i.type === 'sendGarp'), 'advert goes out first, GARPs right after');
    assert.equal(r.state.timers.garp, t0 + 5000);
    const second = step(p, r.state, { type: 'timer', now: t0 + 5000, timer: 'garp' });
    assert.deepEqual(second.intents, [{ type: 'sendGarp', count: 5, intervalMs: 0, reason: 'masterDelay' }]);
    assert.equal(second.state.timers.garp, null);
    // adverts for a minute: no further GARPs
    let s = second.state;
    const all: Intent[] = [];
    for (let i = 0; i < 60; i++) {
      const x = step(p, s, { type: 'timer', now: s.timers.advert!, timer: 'advert' });
      s = x.state;
      all.push(...x.intents);
    }
    assert.equal(find(all, 'sendGarp').length, 0);
  });

  test('the second burst is cancelled when leaving MASTER before it', () => {
    const p = params();
    const m = master(p);
    const b = step(p, m, advert(m.since + 1000, '192.0.2.12', 200));
    assert.ok(b.intents.some((i) => i.type === 'clearTimer' && i.timer === 'garp'));
    const stale = step(p, b.state, { type: 'timer', now: m.since + 5000, timer: 'garp' });
    assert.deepEqual(stale.intents, []);
  });

  test('garp_master_delay 0 disables the second burst', () => {
    const p = params({ garp: { ...params().garp, masterDelayMs: 0 } });
    assert.equal(master(p).timers.garp, null);
  });

  test('garp_master_refresh: refresh_repeat GARPs at the first advert after each refresh interval', () => {
    const p = params({ garp: { ...params().garp, masterRefreshMs: 3000, masterRefreshRepeat: 2, intervalMs: 10 } });
    let s = master(p);
    const t0 = s.since;
    const bursts: Array<{ at: number; n: number }> = [];
    for (let i = 0; i < 8; i++) {
      const now = s.timers.advert!;
      const x = step(p, s, { type: 'timer', now, timer: 'advert' });
      for (const g of find(x.intents, 'sendGarp')) bursts.push({ at: now - t0, n: g.count });
      s = x.state;
    }
    assert.deepEqual(bursts, [{ at: 4000, n: 2 }, { at: 8000, n: 2 }]);
  });
});

describe('fault and unfault (trackers)', () => {
  test('MASTER → FAULT: priority-0 advert, VIPs removed, adverts ignored while FAULT', () => {
    const p = params();
    const r = step(p, master(p), { type: 'fault', now: 5000, fault: true, reason: 'eth1 down' });
    assert.equal(r.state.state, 'FAULT');
    assert.deepEqual(r.intents[0], { type: 'sendAdvert', priority: 0 });
    assert.ok(r.intents.some((i) => i.type === 'removeVips'));
    assert.deepEqual(r.intents.at(-1), { type: 'transition', from: 'MASTER', to: 'FAULT', reason: 'eth1 down' });
    const ignored = step(p, r.state, advert(5100, '192.0.2.12', 50));
    assert.equal(ignored.state.state, 'FAULT');
    assert.deepEqual(ignored.intents, []);
  });

  test('BACKUP → FAULT: no advert, down timer cancelled', () => {
    const p = params();
    const r = step(p, backup(p), { type: 'fault', now: 5000, fault: true });
    assert.equal(r.state.state, 'FAULT');
    assert.deepEqual(types(r.intents), ['clearTimer:masterDown', 'transition']);
  });

  test('fault clears: BACKUP with a fresh master-down timer', () => {
    const p = params();
    const f = step(p, master(p), { type: 'fault', now: 5000, fault: true }).state;
    const r = step(p, f, { type: 'fault', now: 8000, fault: false });
    assert.equal(r.state.state, 'BACKUP');
    assert.equal(r.state.timers.masterDown, 8000 + DOWN_100);
  });

  test('fault clears for an address owner: MASTER at once', () => {
    const p = params({ priority: 255, initialState: 'MASTER' });
    const f = step(p, master(p), { type: 'fault', now: 5000, fault: true }).state;
    assert.equal(step(p, f, { type: 'fault', now: 8000, fault: false }).state.state, 'MASTER');
  });

  test('a fault reported before startup: startup enters FAULT', () => {
    const p = params();
    let s = step(p, initialState(p), { type: 'fault', now: 0, fault: true, reason: 'script chk failed' }).state;
    assert.equal(s.state, 'INIT');
    s = step(p, s, { type: 'startup', now: 1 }).state;
    assert.equal(s.state, 'FAULT');
  });
});

describe('shutdown from each state', () => {
  for (const [name, make] of [
    ['INIT', (p: ReturnType<typeof params>) => initialState(p)],
    ['FAULT', (p: ReturnType<typeof params>) => step(p, backup(p), { type: 'fault', now: 1, fault: true }).state],
  ] as const) {
    test(`${name}: STOP without an advert`, () => {
      const p = params();
      const r = step(p, make(p), { type: 'shutdown', now: 10 });
      assert.equal(r.state.state, 'STOP');
      assert.equal(find(r.intents, 'sendAdvert').length, 0);
      assert.equal(find(r.intents, 'removeVips').length, 0);
    });
  }
  test('STOP ignores everything but a new startup', () => {
    const p = params();
    const s = step(p, master(p), { type: 'shutdown', now: 10 }).state;
    for (const e of [advert(20, '192.0.2.12', 0), { type: 'shutdown', now: 30 } as VrrpEvent, { type: 'timer', now: 99999, timer: 'advert' } as VrrpEvent]) {
      assert.deepEqual(step(p, s, e).intents, []);
    }
  });
});

describe('effective priority (tracker weights)', () => {
  test('a BACKUP whose effective priority rises above the master\'s discards its adverts and takes over at its down timer', () => {
    const p = params({ priority: 90 });
    let s = step(p, backup(p), advert(1000, '192.0.2.12', 100)).state;
    const r = step(p, s, { type: 'priority', now: 1500, effective: 120 });
    s = r.state;
    assert.deepEqual(r.intents.at(-1), { type: 'priorityChanged', from: 90, to: 120 });
    // down timer shifted by the change of skew
    assert.equal(s.timers.masterDown, 1000 + masterDownMs(2, 120, 100));
    const d = step(p, s, advert(2000, '192.0.2.12', 100));
    assert.equal(d.state.timers.masterDown, s.timers.masterDown, 'lower advert discarded');
    assert.equal(step(p, d.state, { type: 'timer', now: s.timers.masterDown!, timer: 'masterDown' }).state.state, 'MASTER');
  });

  test('a MASTER whose effective priority drops advertises it and loses to the preempting backup\'s advert', () => {
    const p = params({ priority: 100 });
    let s = master(p);
    s = step(p, s, { type: 'priority', now: s.since + 100, effective: 80 }).state;
    const adv = step(p, s, { type: 'timer', now: s.timers.advert!, timer: 'advert' });
    assert.deepEqual(adv.intents[0], { type: 'sendAdvert', priority: 80 });
    assert.equal(step(p, adv.state, advert(s.timers.advert! + 10, '192.0.2.12', 90)).state.state, 'BACKUP');
  });

  test('effective priority is clamped to 1..254 and an address owner never changes', () => {
    const p = params();
    assert.equal(step(p, backup(p), { type: 'priority', now: 1, effective: 400 }).state.effectivePriority, 254);
    assert.equal(step(p, backup(p), { type: 'priority', now: 1, effective: -20 }).state.effectivePriority, 1);
    const o = params({ priority: 255 });
    assert.deepEqual(step(o, master(o), { type: 'priority', now: 1, effective: 200 }).intents, []);
  });
});

describe('counters for --dump-state', () => {
  test('adverts sent/received, priority-0, became/released master', () => {
    const p = params();
    const { state } = run(p, [
      { type: 'startup', now: 0 },
      advert(500, '192.0.2.12', 0),
      { type: 'timer', now: 500 + (156 * 1000) / 256, timer: 'masterDown' },
      advert(1500, '192.0.2.12', 50),
      advert(2500, '192.0.2.12', 200),
      { type: 'shutdown', now: 3000 },
    ]);
    assert.equal(state.counters.advertRcvd, 3);
    assert.equal(state.counters.priorityZeroRcvd, 1);
    assert.equal(state.counters.becomeMaster, 1);
    assert.equal(state.counters.releaseMaster, 1);
    assert.equal(state.counters.advertSent, 2);
    assert.equal(state.counters.lowerPrioRcvd, 1);
  });
});

describe('snapshot', () => {
  test('state round-trips through msgpackr and behaves identically afterwards', () => {
    const p = params({ version: 3, preemptDelayMs: 3000, priority: 120 });
    const script: VrrpEvent[] = [
      { type: 'startup', now: 0 },
      advert(100, '192.0.2.12', 110, 50),
      { type: 'priority', now: 150, effective: 90 },
      advert(600, '192.0.2.12', 110, 50),
      { type: 'priority', now: 700, effective: 130 },
      advert(1100, '192.0.2.12', 110, 50),
    ];
    let s: InstanceState = initialState(p);
    let restored: InstanceState = unpack(pack(s)) as InstanceState;
    for (const e of script) {
      const a = step(p, s, e);
      const b = step(p, restored, e);
      assert.deepEqual(b, a);
      s = a.state;
      restored = unpack(pack(a.state)) as InstanceState;
      assert.deepEqual(restored, s);
    }
    // then run the timers out on both
    const due = s.timers.masterDown!;
    assert.deepEqual(step(p, restored, { type: 'timer', now: due, timer: 'masterDown' }), step(p, s, { type: 'timer', now: due, timer: 'masterDown' }));
  });

  test('resumeIntents re-arms exactly the armed timers', () => {
    const p = params();
    const m = master(p);
    assert.deepEqual(resumeIntents(unpack(pack(m)) as InstanceState), [
      { type: 'setTimer', timer: 'advert', at: m.timers.advert },
      { type: 'setTimer', timer: 'garp', at: m.timers.garp },
    ]);
  });

  test('step does not mutate its input state', () => {
    const p = params();
    const m = master(p);
    const copy = structuredClone(m);
    step(p, m, advert(9000, '192.0.2.12', 200));
    step(p, m, { type: 'shutdown', now: 9000 });
    assert.deepEqual(m, copy);
  });
});

describe('address comparison (RFC 5798 §6.4.3 tie-break)', () => {
  test('IPv4 and IPv6 compare as unsigned numbers; families never compare', () => {
    assert.ok(compareAddresses('192.0.2.12', '192.0.2.11') > 0);
    assert.ok(compareAddresses('192.0.2.9', '192.0.2.11') < 0);
    assert.ok(compareAddresses('198.51.100.1', '192.0.2.200') > 0);
    assert.ok(compareAddresses('2001:db8::2', '2001:db8::1') > 0);
    assert.ok(compareAddresses('2001:db8::1:0', '2001:db8::ffff') > 0);
    assert.ok(compareAddresses('fe80::1%eth0', 'fe80::2') < 0);
    assert.equal(compareAddresses('::ffff:192.0.2.1', '::ffff:c000:201'), 0);
    assert.equal(compareAddresses('192.0.2.1', '2001:db8::1'), 0);
  });
});
