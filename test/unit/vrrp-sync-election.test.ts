/**
 * vrrp_sync_group on ordinary elections (keepalived 2.2.7 vrrp_sync.c: vrrp_sync_can_goto_master,
 * vrrp_sync_master, vrrp_sync_backup; vrrp.c vrrp_state_goto_master). The machine of a member only
 * *wants* MASTER when its Master_Down_Timer expires; the group decides (canGoMaster) and forces the
 * others (groupOnTransition → `sync` events).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { step } from '../../src/actors/vrrp';
import { canGoMaster, groupOnTransition, type MemberView } from '../../src/daemon/sync-group';
import { params, run, types, backup, master, advert } from './vrrp-helpers';

const member = params({ syncGroup: true });
const m = (name: string, state: MemberView['state'], wantMaster = false): MemberView => ({ name, state, wantMaster });

test('sync group member: Master_Down_Timer expiry does not make it MASTER; it wants MASTER and its timer runs again (vrrp_sync_can_goto_master false)', () => {
  const b = backup(member);
  const due = b.timers.masterDown!;
  const r = step(member, b, { type: 'timer', now: due, timer: 'masterDown' });
  assert.equal(r.state.state, 'BACKUP');
  assert.equal(r.state.syncWantMaster, true);
  // keepalived: ms_down_timer = 3 × master_adver_int + skew, from now
  assert.equal(r.state.timers.masterDown, due + 3000 + ((256 - 100) * 1000) / 256);
  assert.deepEqual(types(r.intents), ['setTimer:masterDown', 'syncWant']);
  assert.deepEqual(r.intents.find((i) => i.type === 'syncWant'), { type: 'syncWant', master: true });
  assert.equal(r.state.counters.masterDownExpired, 1);
});

test('an instance outside any sync group still becomes MASTER on its own timer', () => {
  assert.equal(master(params()).state, 'MASTER');
});

test('sync MASTER (vrrp_sync_master → vrrp_state_goto_master): a BACKUP member becomes MASTER at once with VIPs, advert and GARPs', () => {
  const b = run(member, [{ type: 'timer', now: backup(member).timers.masterDown!, timer: 'masterDown' }], backup(member)).state;
  const r = step(member, b, { type: 'sync', now: 5000, to: 'MASTER' });
  assert.equal(r.state.state, 'MASTER');
  assert.equal(r.state.syncWantMaster, false);
  assert.deepEqual(types(r.intents).filter((t) => !t.startsWith('setTimer') && !t.startsWith('clearTimer')), ['sendAdvert', 'addVips', 'sendGarp', 'transition']);
  const tr = r.intents.at(-1)!;
  assert.ok(tr.type === 'transition' && tr.from === 'BACKUP' && tr.to === 'MASTER');
});

test('sync BACKUP (vrrp_sync_backup → vrrp_state_leave_master(isync, false)): a MASTER member releases its VIPs without a priority-0 advert and runs Master_Down_Timer', () => {
  const mm = master(member);
  const mst = step(member, backup(member), { type: 'sync', now: 0, to: 'MASTER' }).state;
  assert.equal(mst.state, 'MASTER');
  const r = step(member, mst, { type: 'sync', now: 10_000, to: 'BACKUP' });
  assert.equal(r.state.state, 'BACKUP');
  assert.equal(r.intents.some((i) => i.type === 'sendAdvert'), false, 'no advert, in particular no priority 0');
  assert.ok(r.intents.some((i) => i.type === 'removeVips'));
  assert.equal(r.state.timers.advert, null);
  assert.equal(r.state.timers.masterDown, 10_000 + 3000 + ((256 - 100) * 1000) / 256);
  assert.equal(mm.state, 'BACKUP', 'sanity: a member never reaches MASTER through its timer alone');
});

test('sync events are ignored in FAULT with a fault of its own, in INIT and when already there', () => {
  const f = run(member, [{ type: 'startup', now: 0 }, { type: 'fault', now: 1, fault: true, reason: 'eth1 down' }]).state;
  assert.equal(f.state, 'FAULT');
  for (const to of ['MASTER', 'BACKUP'] as const) {
    assert.deepEqual(step(member, f, { type: 'sync', now: 2, to }).intents, []);
  }
  const b = backup(member);
  assert.deepEqual(step(member, b, { type: 'sync', now: 2, to: 'BACKUP' }).intents, []);
});

test('a member that wanted MASTER and hears a master it accepts no longer wants it (syncWant false)', () => {
  const b = backup(member);
  const w = step(member, b, { type: 'timer', now: b.timers.masterDown!, timer: 'masterDown' }).state;
  const r = step(member, w, advert(w.timers.masterDown! - 10, '192.0.2.12', 110));
  assert.equal(r.state.syncWantMaster, false);
  assert.ok(r.intents.some((i) => i.type === 'syncWant' && !i.master));
  // a lower-priority advert (preempt) is discarded: still wanting
  const r2 = step(member, w, advert(w.timers.masterDown! - 10, '192.0.2.12', 90));
  assert.equal(r2.state.syncWantMaster, true);
});

test('vrrp_sync_can_goto_master: only when every other member wants MASTER or is MASTER, or the group is MASTER ("prefer backup state to avoid thrashing")', () => {
  assert.equal(canGoMaster('BACKUP', 'VI_1', [m('VI_1', 'BACKUP', true), m('VI_2', 'BACKUP')]), false);
  assert.equal(canGoMaster('BACKUP', 'VI_1', [m('VI_1', 'BACKUP', true), m('VI_2', 'BACKUP', true)]), true);
  assert.equal(canGoMaster('BACKUP', 'VI_1', [m('VI_1', 'BACKUP', true), m('VI_2', 'MASTER')]), true);
  assert.equal(canGoMaster('BACKUP', 'VI_1', [m('VI_1', 'BACKUP', true), m('VI_2', 'FAULT', true)]), false);
  assert.equal(canGoMaster('MASTER', 'VI_1', [m('VI_1', 'BACKUP', true), m('VI_2', 'BACKUP')]), true);
});

test('vrrp_sync_master: the first member entering MASTER takes the group to MASTER and forces the other BACKUP members', () => {
  const s = groupOnTransition('BACKUP', 'VI_2', 'MASTER', [m('VI_1', 'BACKUP', true), m('VI_2', 'MASTER'), m('VI_3', 'FAULT')]);
  assert.deepEqual(s, { state: 'MASTER', changed: true, force: [{ name: 'VI_1', to: 'MASTER' }] });
  assert.deepEqual(groupOnTransition('MASTER', 'VI_1', 'MASTER', [m('VI_1', 'MASTER'), m('VI_2', 'MASTER')]), { state: 'MASTER', changed: false, force: [] });
});

test('vrrp_sync_backup: a member losing an election (MASTER → BACKUP) takes every other MASTER member to BACKUP', () => {
  const s = groupOnTransition('MASTER', 'VI_1', 'BACKUP', [m('VI_1', 'BACKUP'), m('VI_2', 'MASTER')]);
  assert.deepEqual(s, { state: 'BACKUP', changed: true, force: [{ name: 'VI_2', to: 'BACKUP' }] });
  // startup: INIT → BACKUP is the group's first state, nothing to force
  assert.deepEqual(groupOnTransition('INIT', 'VI_1', 'BACKUP', [m('VI_1', 'BACKUP'), m('VI_2', 'INIT')]), { state: 'BACKUP', changed: true, force: [] });
  assert.equal(groupOnTransition('BACKUP', 'VI_2', 'BACKUP', [m('VI_1', 'BACKUP'), m('VI_2', 'BACKUP')]).changed, false);
});

test('group FAULT and STOP: FAULT as soon as a member is, STOP once all are', () => {
  assert.deepEqual(groupOnTransition('MASTER', 'VI_1', 'FAULT', [m('VI_1', 'FAULT'), m('VI_2', 'MASTER')]), { state: 'FAULT', changed: true, force: [] });
  assert.equal(groupOnTransition('MASTER', 'VI_1', 'STOP', [m('VI_1', 'STOP'), m('VI_2', 'MASTER')]).changed, false);
  assert.deepEqual(groupOnTransition('MASTER', 'VI_2', 'STOP', [m('VI_1', 'STOP'), m('VI_2', 'STOP')]), { state: 'STOP', changed: true, force: [] });
});

test('two members together: both timers expire, the second finds the first wanting MASTER and the whole group goes MASTER', () => {
  const p1 = params({ name: 'VI_1', syncGroup: true });
  const p2 = params({ name: 'VI_2', vrid: 52, syncGroup: true });
  let s1 = backup(p1);
  let s2 = backup(p2);
  s1 = step(p1, s1, { type: 'timer', now: s1.timers.masterDown!, timer: 'masterDown' }).state;
  let group: 'BACKUP' | 'MASTER' = 'BACKUP';
  assert.equal(canGoMaster(group, 'VI_1', [m('VI_1', s1.state, !!s1.syncWantMaster), m('VI_2', s2.state, !!s2.syncWantMaster)]), false);
  s2 = step(p2, s2, { type: 'timer', now: s2.timers.masterDown! + 2, timer: 'masterDown' }).state;
  assert.equal(canGoMaster(group, 'VI_2', [m('VI_1', s1.state, !!s1.syncWantMaster), m('VI_2', s2.state, !!s2.syncWantMaster)]), true);
  s2 = step(p2, s2, { type: 'sync', now: 3700, to: 'MASTER' }).state;
  const g = groupOnTransition(group, 'VI_2', s2.state, [m('VI_1', s1.state, !!s1.syncWantMaster), m('VI_2', s2.state)]);
  group = g.state as 'MASTER';
  assert.deepEqual(g.force, [{ name: 'VI_1', to: 'MASTER' }]);
  s1 = step(p1, s1, { type: 'sync', now: 3700, to: 'MASTER' }).state;
  assert.deepEqual([s1.state, s2.state, group], ['MASTER', 'MASTER', 'MASTER']);
});
