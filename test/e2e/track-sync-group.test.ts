/**
 * vrrp_sync_group with real daemons (keepalived.conf(5) "vrrp_sync_group"; keepalived vrrp_sync.c):
 * two instances on eth0 (VRID 51 and 52) in group VG_1 on both nodes; only VI_1 tracks a spare
 * interface. Its carrier loss puts VI_1 in FAULT and, through the group, VI_2 too: both send
 * priority 0, both VIPs move to the BACKUP node; the group notifies run with `GROUP VG_1 STATE 0`.
 * Carrier back: both members return and the MASTER node takes both VIPs again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab } from '../helpers/lab';
import { startKeepalivedTs } from '../helpers/keepalived';
import { vrrpInfo } from '../helpers/pcap';
import { until } from '../helpers/bench-daemon';
import { notifyRecorder, withDaemons } from '../helpers/e2e';

function config(p: { state: 'MASTER' | 'BACKUP'; priority: number; script: string; tag: string; track: boolean }): string {
  const inst = (name: string, vrid: number, vip: string, extra: string[]) => [
    `vrrp_instance ${name} {`, `  state ${p.state}`, '  interface eth0', `  virtual_router_id ${vrid}`, `  priority ${p.priority}`,
    '  advert_int 1', '  authentication {', '    auth_type PASS', '    auth_pass secret1', '  }',
    '  virtual_ipaddress {', `    ${vip}/24`, '  }', `  notify "${p.script} ${p.tag}-${name}"`, ...extra.map((l) => `  ${l}`), '}', '',
  ];
  return [
    'global_defs {', '  script_user root', '  enable_script_security', '}', '',
    'vrrp_sync_group VG_1 {', '  group {', '    VI_1', '    VI_2', '  }',
    `  notify "${p.script} ${p.tag}-group"`, `  notify_master "${p.script} ${p.tag}-group-master"`,
    `  notify_backup "${p.script} ${p.tag}-group-backup"`, `  notify_fault "${p.script} ${p.tag}-group-fault"`, '}', '',
    ...inst('VI_1', 51, '192.0.2.100', p.track ? ['track_interface {', '  track0', '}'] : []),
    ...inst('VI_2', 52, '192.0.2.101', []),
  ].join('\n');
}

test('vrrp_sync_group: one member losing its tracked interface takes the whole group to FAULT and both VIPs fail over together', { timeout: 60_000 }, async () => {
  const rec = notifyRecorder('kts-sync-');
  const { script, lines } = rec;
  try {
    await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
      const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
      const spare = await h1.addVethSpare('track0');
      await withDaemons(async (keep) => {
        const a = keep(startKeepalivedTs(h1, config({ state: 'MASTER', priority: 100, script, tag: 'h1', track: true })));
        await h1.waitForAddress('192.0.2.100', { timeoutMs: 10_000 });
        await h1.waitForAddress('192.0.2.101', { timeoutMs: 2000 });
        keep(startKeepalivedTs(h2, config({ state: 'BACKUP', priority: 90, script, tag: 'h2', track: false })));
        await until('BACKUP group notifies on h2', () => lines().includes('h2-group-backup') && lines().includes('h2-group GROUP VG_1 BACKUP 0'), 6000, 25);
        assert.ok(lines().includes('h1-group GROUP VG_1 MASTER 0') && lines().includes('h1-group-master'), 'MASTER group notify on h1');
        await new Promise((r) => setTimeout(r, 1500));

        const cap = await lab.capture('vrrp');
        await h1.setLink(spare.peer, false);
        await a.waitForLog(/\(VI_1\) Entering FAULT STATE/, 3000);
        await a.waitForLog(/\(VI_2\) Entering FAULT STATE/, 1000);
        await a.waitForLog(/VRRP_Group\(VG_1\) Syncing instances to FAULT state/, 1000);
        await h1.waitForAddress('192.0.2.100', { present: false, timeoutMs: 1000 });
        await h1.waitForAddress('192.0.2.101', { present: false, timeoutMs: 1000 });
        await h2.waitForAddress('192.0.2.100', { timeoutMs: 3000 });
        await h2.waitForAddress('192.0.2.101', { timeoutMs: 3000 });
        const zero = cap.frames().map((f) => vrrpInfo(f.frame)).filter((v) => v && v.src === h1.ip4 && v.priority === 0).map((v) => v!.vrid);
        assert.deepEqual([...new Set(zero)].sort(), [51, 52], 'both members send priority 0');
        await cap.stop();
        await until('FAULT / MASTER notifies', () => ['h1-group-fault', 'h1-group GROUP VG_1 FAULT 0', 'h1-VI_1 INSTANCE VI_1 FAULT 100', 'h1-VI_2 INSTANCE VI_2 FAULT 100',
          'h2-group-master', 'h2-group GROUP VG_1 MASTER 0'].every((l) => lines().includes(l)), 3000, 25);

        await h1.setLink(spare.peer, true);
        await a.waitForLog(/VRRP_Group\(VG_1\) Syncing instances to BACKUP state/, 3000);
        await h1.waitForAddress('192.0.2.100', { timeoutMs: 8000 });
        await h1.waitForAddress('192.0.2.101', { timeoutMs: 2000 });
        await h2.waitForAddress('192.0.2.100', { present: false, timeoutMs: 2000 });
        await h2.waitForAddress('192.0.2.101', { present: false, timeoutMs: 2000 });
        await until('second MASTER group notify', () => lines().filter((l) => l === 'h1-group GROUP VG_1 MASTER 0').length === 2, 3000, 25);
        const h1Group = lines().filter((l) => l.startsWith('h1-group GROUP')).map((l) => l.split(' ')[3]);
        assert.deepEqual(h1Group, ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
      }, { onFailure: () => console.error(lines().join('\n')) });
    });
  } finally {
    rec.cleanup();
  }
});
