import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeEffective, fileStatus, ownTrackInterfaces, parseTrackFileValue, primaryInterfaceTracker, type TrackerStatus } from '../../src/actors/monitor/priority';

const iface = (up: boolean, weight: number, reverse = false): TrackerStatus => ({ kind: 'interface', name: 'eth1', up, weight, reverse });
const script = (ok: boolean, weight: number, reverse = false, initState: 'init' | 'init-fail' | 'done' = 'done'): TrackerStatus =>
  ({ kind: 'script', name: 'chk', ok, weight, reverse, initState });
const file = (value: number, weight: number, reverse = false): TrackerStatus => ({ kind: 'file', name: 'tf', value, weight, reverse });
const proc = (running: number, weight: number, quorum = 1, quorumMax?: number, reverse = false): TrackerStatus =>
  ({ kind: 'process', name: 'haproxy', running, quorum, quorumMax, weight, reverse });

test('track_interface without weight: the instance goes to FAULT when the interface is down', () => {
  assert.equal(computeEffective(100, [iface(true, 0)]).fault, false);
  const r = computeEffective(100, [iface(false, 0)]);
  assert.equal(r.fault, true);
  assert.equal(r.effective, 100);
  assert.match(r.reasons[0]!, /eth1 down/);
});

test('track_interface weight 0 reverse: FAULT while the interface is up', () => {
  assert.equal(computeEffective(100, [iface(true, 0, true)]).fault, true);
  assert.equal(computeEffective(100, [iface(false, 0, true)]).fault, false);
});

test('track_interface positive weight is added while up; negative weight subtracted while down', () => {
  assert.equal(computeEffective(100, [iface(true, 10)]).effective, 110);
  assert.equal(computeEffective(100, [iface(false, 10)]).effective, 100);
  assert.equal(computeEffective(100, [iface(true, -10)]).effective, 100);
  assert.equal(computeEffective(100, [iface(false, -10)]).effective, 90);
  assert.equal(computeEffective(100, [iface(false, -10)]).fault, false);
});

test('track_interface weight reverse: the direction of the adjustment is reversed', () => {
  assert.equal(computeEffective(100, [iface(true, 10, true)]).effective, 90);
  assert.equal(computeEffective(100, [iface(false, 10, true)]).effective, 100);
  assert.equal(computeEffective(100, [iface(false, -10, true)]).effective, 110);
});

test('track_script weight 0: FAULT after the script fails, none while it succeeds', () => {
  assert.equal(computeEffective(100, [script(false, 0)]).fault, true);
  assert.equal(computeEffective(100, [script(true, 0)]).fault, false);
  assert.equal(computeEffective(100, [script(true, 0, true)]).fault, true);
});

test('track_script weight ±: positive added on success, negative subtracted on failure', () => {
  assert.equal(computeEffective(100, [script(true, 20)]).effective, 120);
  assert.equal(computeEffective(100, [script(false, 20)]).effective, 100);
  assert.equal(computeEffective(100, [script(true, -20)]).effective, 100);
  assert.equal(computeEffective(100, [script(false, -20)]).effective, 80);
  assert.equal(computeEffective(100, [script(true, 20, true)]).effective, 80);
});

test('vrrp_script not yet run: weighted contributes nothing; weight 0 holds the instance in INIT', () => {
  assert.deepEqual(
    [computeEffective(100, [script(false, -20, false, 'init')]).effective, computeEffective(100, [script(false, -20, false, 'init')]).init],
    [100, false],
  );
  const r = computeEffective(100, [script(false, 0, false, 'init')]);
  assert.equal(r.init, true);
  assert.equal(r.fault, false);
});

test('vrrp_script init_fail: the script counts as failed before its first result', () => {
  assert.equal(computeEffective(100, [script(true, 0, false, 'init-fail')]).fault, true);
  assert.equal(computeEffective(100, [script(true, -30, false, 'init-fail')]).effective, 70);
});

test('track_file: value multiplied by weight is added to the priority', () => {
  assert.equal(computeEffective(100, [file(5, 2)]).effective, 110);
  assert.equal(computeEffective(100, [file(-5, 2)]).effective, 90);
  assert.equal(computeEffective(100, [file(5, 2, true)]).effective, 90);
  assert.equal(computeEffective(100, [file(0, 2)]).effective, 100);
});

test('track_file weight 0: a non-zero value is a failure (FAULT), zero is OK', () => {
  assert.equal(computeEffective(100, [file(1, 0)]).fault, true);
  assert.equal(computeEffective(100, [file(0, 0)]).fault, false);
  assert.equal(computeEffective(100, [file(0, 0, true)]).fault, true);
});

test('track_file: a result below -253 puts the instance in FAULT; above 253 is capped', () => {
  assert.equal(computeEffective(100, [file(-254, 1)]).fault, true);
  assert.equal(computeEffective(100, [file(-253, 1)]).fault, false);
  assert.equal(computeEffective(100, [file(-253, 1)]).effective, 1);
  assert.equal(fileStatus(1000, 1), 253);
  assert.equal(fileStatus(-1000, 1), -254);
});

test('track_file content is read like strtol(…, 0): decimal, hex, octal, garbage ⇒ 0', () => {
  assert.equal(parseTrackFileValue('42\n'), 42);
  assert.equal(parseTrackFileValue('  -7 trailing'), -7);
  assert.equal(parseTrackFileValue('0x10'), 16);
  assert.equal(parseTrackFileValue('010'), 8);
  assert.equal(parseTrackFileValue('abc'), 0);
  assert.equal(parseTrackFileValue(''), 0);
  assert.equal(parseTrackFileValue('99999999999'), undefined);
});

test('vrrp_track_process: quorum ≤ running ≤ quorum_max is OK; weight 0 ⇒ FAULT without quorum', () => {
  assert.equal(computeEffective(100, [proc(0, 0)]).fault, true);
  assert.equal(computeEffective(100, [proc(1, 0)]).fault, false);
  assert.equal(computeEffective(100, [proc(2, 0, 3)]).fault, true);
  assert.equal(computeEffective(100, [proc(2, 0, 1, 1)]).fault, true, 'quorum_max 1 with two running');
  assert.equal(computeEffective(100, [proc(1, 0, 0, 0)]).fault, true, 'quorum_max 0: failure if running at all');
  assert.equal(computeEffective(100, [proc(1, 0, 1, undefined, true)]).fault, true, 'weight 0 reverse');
});

test('vrrp_track_process weight: positive added with quorum, negative subtracted without', () => {
  assert.equal(computeEffective(100, [proc(1, 15)]).effective, 115);
  assert.equal(computeEffective(100, [proc(0, 15)]).effective, 100);
  assert.equal(computeEffective(100, [proc(0, -15)]).effective, 85);
  assert.equal(computeEffective(100, [proc(1, 15, 1, undefined, true)]).effective, 85);
});

test('effective priority is limited to 1..254', () => {
  assert.equal(computeEffective(250, [iface(true, 10)]).effective, 254);
  assert.equal(computeEffective(10, [iface(false, -50)]).effective, 1);
  assert.equal(computeEffective(254, [script(true, 253)]).effective, 254);
});

test('priority 255 (address owner) is never changed by weights, but FAULT rules still apply', () => {
  assert.equal(computeEffective(255, [iface(false, -50)]).effective, 255);
  assert.equal(computeEffective(255, [script(false, -50)]).effective, 255);
  assert.equal(computeEffective(255, [iface(false, 0)]).fault, true);
});

test('several trackers add up; any FAULT rule wins', () => {
  const r = computeEffective(100, [iface(true, 10), script(false, -20), file(3, 1), proc(1, 5)]);
  assert.equal(r.effective, 98);
  assert.equal(r.fault, false);
  assert.equal(r.reasons.length, 4);
  assert.equal(computeEffective(100, [iface(true, 10), file(1, 0)]).fault, true);
});

test('dont_track_primary: the instance interface going down no longer means FAULT', () => {
  assert.equal(computeEffective(100, primaryInterfaceTracker('eth0', false, false)).fault, true);
  assert.equal(computeEffective(100, primaryInterfaceTracker('eth0', false, true)).fault, false);
});

test('track_interface naming the instance\'s own interface is ignored, as keepalived 2.2.7 does ("Ignoring track_interface eth0 since own interface")', () => {
  const tracked = [{ name: 'eth0', weight: 10 }, { name: 'eth1', weight: -20 }];
  const r = ownTrackInterfaces(tracked, 'eth0');
  assert.deepEqual(r.kept.map((t) => t.name), ['eth1']);
  assert.deepEqual(r.ignored.map((t) => t.name), ['eth0']);
  // its weight never reaches the effective priority: only the primary tracker (weight 0) watches eth0
  const eff = computeEffective(90, [...primaryInterfaceTracker('eth0', true, false), ...r.kept.map((t) => ({ kind: 'interface' as const, name: t.name, up: true, weight: t.weight }))]);
  assert.equal(eff.effective, 90);
});
