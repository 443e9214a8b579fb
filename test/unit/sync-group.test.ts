import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSyncGroups, memberFault, nextGroupState } from '../../src/daemon/sync-group';

const inst = (...names: string[]) => names.map((name) => ({ name }));

test('vrrp_sync_group: members that do not exist are ignored, a group left with one member is removed', () => {
  const p = planSyncGroups([{ name: 'VG_1', group: ['VI_1', 'VI_X'] }, { name: 'VG_2', group: ['VI_2', 'VI_3'] }], inst('VI_1', 'VI_2', 'VI_3'));
  assert.deepEqual([...p.groups], [['VG_2', ['VI_2', 'VI_3']]]);
  assert.equal(p.groupOf.get('VI_1'), undefined);
  assert.equal(p.groupOf.get('VI_3'), 'VG_2');
  assert.deepEqual(p.messages, [
    "Virtual router VI_X specified in sync group VG_1 doesn't exist - ignoring",
    'Sync group VG_1 has only 1 virtual router(s) - removing',
  ]);
});

test('vrrp_sync_group: an instance belongs to one group only', () => {
  const p = planSyncGroups([{ name: 'A', group: ['VI_1', 'VI_2'] }, { name: 'B', group: ['VI_2', 'VI_3', 'VI_4'] }], inst('VI_1', 'VI_2', 'VI_3', 'VI_4'));
  assert.deepEqual(p.groups.get('B'), ['VI_3', 'VI_4']);
  assert.match(p.messages[0]!, /VI_2 cannot exist in more than one sync group; ignoring B/);
});

test('vrrp_sync_group: one member in fault puts every member in fault; it clears only when no member has its own', () => {
  const own = new Map([['VI_1', { fault: true, reasons: ['track_interface t0 down'] }], ['VI_2', { fault: false, reasons: [] }]]);
  assert.deepEqual(memberFault('VI_2', ['VI_1', 'VI_2'], own, 'VG'), { fault: true, reasons: ['sync group VG member VI_1 in fault'] });
  assert.deepEqual(memberFault('VI_1', ['VI_1', 'VI_2'], own, 'VG'), { fault: true, reasons: ['track_interface t0 down'] });
  own.set('VI_1', { fault: false, reasons: [] });
  assert.equal(memberFault('VI_2', ['VI_1', 'VI_2'], own, 'VG').fault, false);
  // outside a group only the instance's own trackers count
  own.set('VI_1', { fault: true, reasons: ['x'] });
  assert.equal(memberFault('VI_2', undefined, own).fault, false);
});

test('vrrp_sync_group state: FAULT with any member in FAULT, MASTER/BACKUP/STOP once all members are', () => {
  assert.equal(nextGroupState('INIT', ['BACKUP', 'INIT']), 'INIT');
  assert.equal(nextGroupState('INIT', ['BACKUP', 'BACKUP']), 'BACKUP');
  assert.equal(nextGroupState('BACKUP', ['MASTER', 'BACKUP']), 'BACKUP');
  assert.equal(nextGroupState('BACKUP', ['MASTER', 'MASTER']), 'MASTER');
  assert.equal(nextGroupState('MASTER', ['FAULT', 'MASTER']), 'FAULT');
  assert.equal(nextGroupState('FAULT', ['BACKUP', 'FAULT']), 'FAULT');
  assert.equal(nextGroupState('FAULT', ['BACKUP', 'MASTER']), 'BACKUP');
  assert.equal(nextGroupState('MASTER', ['STOP', 'STOP']), 'STOP');
});
