/**
 * vrrp_sync_group on ordinary elections, with real daemons (keepalived.conf(5) "vrrp_sync_group";
 * keepalived 2.2.7 vrrp_sync.c vrrp_sync_backup / vrrp_sync_master / vrrp_sync_can_goto_master).
 * VI_1 (VRID 51, 192.0.2.100) and VI_2 (VRID 52, 192.0.2.101) on eth0 of both nodes.
 *
 * What keepalived 2.2.7 does, measured in this lab with keepalived on both nodes:
 * - node1 (group VG_1, both 100) MASTER of both; node2 (no group, both 90). node2's VI_1 raised to 110
 *   by SIGHUP: node1's VI_1 "Master received advert ... higher priority 110", BACKUP, then
 *   "VRRP_Group(VG_1) Syncing instances to BACKUP state" and VI_2 BACKUP (VIPs released, no priority
 *   0); node2's VI_2 takes over after its Master_Down_Interval; node1's VI_2 (100 > 90) keeps timing
 *   out ("Receive advertisement timeout") but stays BACKUP while VI_1 does not want MASTER.
 * - with the group on node2 too, raising only node2's VI_1 moves nothing: its VI_1 times out again
 *   and again but cannot go MASTER while its VI_2 hears a better master.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, type Host } from '../helpers/lab';
import { startKeepalivedTs } from '../helpers/keepalived';
import { vrrpInfo } from '../helpers/pcap';
import { request } from '../../src/supervisor';
import { sleep } from '../helpers/bench-daemon';
import { withDaemons } from '../helpers/e2e';

function config(p: { prio1: number; prio2: number; group: boolean; groupExtra?: string[] }): string {
  const inst = (name: string, vrid: number, prio: number, vip: string) => [
    `vrrp_instance ${name} {`, '  state BACKUP', '  interface eth0', `  virtual_router_id ${vrid}`, `  priority ${prio}`,
    '  advert_int 1', '  authentication {', '    auth_type PASS', '    auth_pass secret1', '  }',
    '  virtual_ipaddress {', `    ${vip}/24`, '  }', '}', '',
  ];
  return [
    ...(p.group ? ['vrrp_sync_group VG_1 {', '  group {', '    VI_1', '    VI_2', '  }', ...(p.groupExtra ?? []).map((l) => `  ${l}`), '}', ''] : []),
    ...inst('VI_1', 51, p.prio1, '192.0.2.100'),
    ...inst('VI_2', 52, p.prio2, '192.0.2.101'),
  ].join('\n');
}

async function holds(h: Host): Promise<[boolean, boolean]> {
  return [await h.hasAddress('192.0.2.100'), await h.hasAddress('192.0.2.101')];
}

test('vrrp_sync_group: a member losing an election to a higher priority takes the other member to BACKUP too; the peer then holds both VIPs', { timeout: 60_000 }, async () => {
  await withDaemons(async (keep) => {
    await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
      const [h1, h2] = lab.hosts as [Host, Host];
      const a = keep(startKeepalivedTs(h1, config({ prio1: 100, prio2: 100, group: true })));
      await h1.waitForAddress('192.0.2.100', { timeoutMs: 10_000 });
      await h1.waitForAddress('192.0.2.101', { timeoutMs: 1000 });
      await a.waitForLog(/VRRP_Group\(VG_1\) Syncing instances to MASTER state/, 1000);
      const b = keep(startKeepalivedTs(h2, config({ prio1: 90, prio2: 90, group: false })));
      await b.waitForLog(/\(VI_2\) Entering BACKUP STATE/, 5000);
      await sleep(1500);
      assert.deepEqual([await holds(h1), await holds(h2)], [[true, true], [false, false]]);

      const cap = await lab.capture('vrrp');
      b.writeConfig(config({ prio1: 110, prio2: 90, group: false }));
      b.signal('SIGHUP');
      await a.waitForLog(/\(VI_1\) Master received advert from 192\.0\.2\.12 with higher priority 110, ours 100/, 8000);
      await a.waitForLog(/VRRP_Group\(VG_1\) Syncing instances to BACKUP state/, 1000);
      await a.waitForLog(/\(VI_2\) Entering BACKUP STATE/, 1000);
      await h1.waitForAddress('192.0.2.101', { present: false, timeoutMs: 1000 });
      await h1.waitForAddress('192.0.2.100', { present: false, timeoutMs: 1000 });
      await h2.waitForAddress('192.0.2.100', { timeoutMs: 2000 });
      await h2.waitForAddress('192.0.2.101', { timeoutMs: 6000 });

      // node1's VI_2 outranks node2's (100 > 90) and times out, but its group-mate does not want MASTER
      await a.waitForLog(/\(VI_2\) Receive advertisement timeout/, 6000);
      await sleep(1000);
      assert.deepEqual([await holds(h1), await holds(h2)], [[false, false], [true, true]], 'node2 keeps both VIPs');
      const frames = await cap.stop();
      const v = frames.map((f) => ({ t: f.tsUs / 1000, i: vrrpInfo(f.frame) })).filter((x) => x.i);
      const h1vi2 = v.filter((x) => x.i!.src === h1.ip4 && x.i!.vrid === 52);
      assert.equal(h1vi2.some((x) => x.i!.priority === 0), false, 'VI_2 leaves MASTER without a priority-0 advert (vrrp_state_leave_master(isync, false))');
      const lastH1 = h1vi2.at(-1)!.t;
      const firstH2 = v.find((x) => x.i!.src === h2.ip4 && x.i!.vrid === 52)!.t;
      // node2's VI_2 (90) takes over after its Master_Down_Interval: 3 × 1 s + (256 − 90)/256 s = 3648.4 ms
      const gap = firstH2 - lastH1;
      assert.ok(gap > 3500 && gap < 3800, `node2's VI_2 first advert ${gap.toFixed(1)} ms after node1's last VI_2 advert (Master_Down_Interval 3648 ms)`);
      assert.equal(v.filter((x) => x.i!.src === h1.ip4 && x.t > firstH2).length, 0, 'node1 stays silent on both VRIDs afterwards');
      assert.equal(a.logs().filter((l) => /Entering MASTER STATE/.test(l)).length, 2, 'no MASTER transition after the sync to BACKUP');
    });
  }, { logLines: 50 });
});

test('vrrp_sync_group on both nodes: raising one member\'s priority on the BACKUP node moves nothing — it may go MASTER only when every member wants to (vrrp_sync_can_goto_master)', { timeout: 60_000 }, async () => {
  await withDaemons(async (keep) => {
    await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
      const [h1, h2] = lab.hosts as [Host, Host];
      keep(startKeepalivedTs(h1, config({ prio1: 100, prio2: 100, group: true })));
      await h1.waitForAddress('192.0.2.101', { timeoutMs: 10_000 });
      const b = keep(startKeepalivedTs(h2, config({ prio1: 90, prio2: 90, group: true })));
      await b.waitForLog(/VRRP_Group\(VG_1\) Syncing instances to BACKUP state/, 5000);
      b.writeConfig(config({ prio1: 110, prio2: 90, group: true }));
      b.signal('SIGHUP');
      await b.waitForLog(/Reload finished/, 5000);
      const from = b.logs().length;
      await sleep(8500);
      const after = b.logs().slice(from);
      assert.ok(after.filter((l) => /\(VI_1\) Receive advertisement timeout/.test(l)).length >= 2, 'node2 VI_1 keeps timing out');
      assert.equal(after.some((l) => /Entering MASTER STATE/.test(l)), false, 'node2 never goes MASTER');
      assert.deepEqual([await holds(h1), await holds(h2)], [[true, true], [false, false]]);
    });
  }, { logLines: 50 });
});

test('vrrp_sync_group track_interface with sync_group_tracking_weight: the group\'s tracker lowers every member\'s priority, so both VIPs move', { timeout: 60_000 }, async () => {
  await withDaemons(async (keep) => {
    await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
      const [h1, h2] = lab.hosts as [Host, Host];
      const spare = await h1.addVethSpare('track0');
      const a = keep(startKeepalivedTs(h1, config({ prio1: 100, prio2: 100, group: true, groupExtra: ['track_interface {', '  track0 weight -20', '}', 'sync_group_tracking_weight'] })));
      await h1.waitForAddress('192.0.2.101', { timeoutMs: 10_000 });
      await h1.waitForAddress('192.0.2.100', { timeoutMs: 1000 });
      const b = keep(startKeepalivedTs(h2, config({ prio1: 90, prio2: 90, group: true })));
      await b.waitForLog(/\(VI_2\) Entering BACKUP STATE/, 5000);
      await sleep(1500);
      const cap = await lab.capture('vrrp');
      await h1.setLink(spare.peer, false);
      // both members advertise 100 − 20 = 80 (not FAULT: the tracker has a weight), node2 (90) preempts both
      await cap.waitFor((fs) => [51, 52].every((id) => fs.some((f) => { const i = vrrpInfo(f.frame); return i?.src === h1.ip4 && i.vrid === id && i.priority === 80; })), 3000);
      await h2.waitForAddress('192.0.2.100', { timeoutMs: 6000 });
      await h2.waitForAddress('192.0.2.101', { timeoutMs: 2000 });
      await h1.waitForAddress('192.0.2.100', { present: false, timeoutMs: 2000 });
      await h1.waitForAddress('192.0.2.101', { present: false, timeoutMs: 2000 });
      const frames = await cap.stop();
      assert.equal(frames.some((f) => { const i = vrrpInfo(f.frame); return i?.src === h1.ip4 && i.priority === 0; }), false, 'no FAULT, no priority 0');
      assert.equal(a.logs().some((l) => /Entering FAULT STATE/.test(l)), false);

      // link back: 100 again on both, node1 preempts both back
      await h1.setLink(spare.peer, true);
      await h1.waitForAddress('192.0.2.100', { timeoutMs: 8000 });
      await h1.waitForAddress('192.0.2.101', { timeoutMs: 2000 });
    });
  }, { logLines: 50 });
});

test('vrrp_sync_group track_interface (weight 0 by default): the group\'s tracker puts every member in FAULT by its own tracking, not only through the group', { timeout: 60_000 }, async () => {
  await withDaemons(async (keep) => {
    await withLab({ hosts: 1, timeoutMs: 40_000 }, async (lab) => {
      const [h1] = lab.hosts as [Host];
      const spare = await h1.addVethSpare('track0');
      const a = keep(startKeepalivedTs(h1, config({ prio1: 100, prio2: 100, group: true, groupExtra: ['track_interface {', '  track0', '}'] })));
      await h1.waitForAddress('192.0.2.101', { timeoutMs: 10_000 });
      await h1.setLink(spare.peer, false);
      await a.waitForLog(/\(VI_1\) Entering FAULT STATE/, 3000);
      await a.waitForLog(/\(VI_2\) Entering FAULT STATE/, 1000);
      await h1.waitForAddress('192.0.2.100', { present: false, timeoutMs: 1000 });
      await h1.waitForAddress('192.0.2.101', { present: false, timeoutMs: 1000 });
      // each member is in fault by its own copy of the group's tracker (the interface is named in its
      // reasons), not only because its group-mate is ("sync group VG_1 member ... in fault")
      await sleep(300);
      const r = await request(a.controlSocket, { cmd: 'dump-state' });
      assert.ok(r.ok);
      const insts = (r.data as { vrrp: { instances: { name: string; state: string; faultReasons: string[] }[] } }).vrrp.instances;
      for (const name of ['VI_1', 'VI_2']) {
        const i = insts.find((x) => x.name === name);
        assert.equal(i?.state, 'FAULT');
        assert.ok(i!.faultReasons.some((x) => /track0/.test(x) && !/sync group/.test(x)), `${name} fault reasons: ${JSON.stringify(i!.faultReasons)}`);
      }
      await h1.setLink(spare.peer, true);
      await h1.waitForAddress('192.0.2.100', { timeoutMs: 8000 });
      await h1.waitForAddress('192.0.2.101', { timeoutMs: 2000 });
    });
  }, { logLines: 50 });
});
