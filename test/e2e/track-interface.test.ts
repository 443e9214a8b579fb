/**
 * track_interface with real daemons in lab namespaces (keepalived.conf(5) "track_interface"):
 * the MASTER tracks a spare interface; when it loses carrier the instance goes FAULT, sends a
 * priority-0 advert and releases the VIP, and the BACKUP takes it; notify scripts on both nodes see
 * the transitions with keepalived's argv; when the link returns the MASTER preempts again.
 * Once against our own BACKUP, once against the real keepalived 2.2.7 as the BACKUP.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, type Host } from '../helpers/lab';
import { startKeepalived, startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { vrrpInfo } from '../helpers/pcap';
import { until } from '../helpers/bench-daemon';
import { notifyRecorder, withDaemons } from '../helpers/e2e';

const VIP = '192.0.2.100';

function notifyLines(script: string, tag: string): string[] {
  return [
    `notify "${script} ${tag}-generic"`,
    `notify_master "${script} ${tag}-master"`,
    `notify_backup "${script} ${tag}-backup"`,
    `notify_fault "${script} ${tag}-fault"`,
  ];
}

const GLOBAL = ['script_user root', 'enable_script_security'];

async function scenario(h1: Host, h2: Host, lab: { capture: (f?: string) => Promise<import('../helpers/lab').Capture> }, peer: 'ours' | 'keepalived'): Promise<void> {
  const rec = notifyRecorder('kts-track-');
  const spare = await h1.addVethSpare('track0');
  try {
    await withDaemons(async (keep) => {
      const a = keep(startKeepalivedTs(h1, vrrpConfig({
        state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraGlobal: GLOBAL,
        extraInstance: ['track_interface {', '  track0', '}', ...notifyLines(rec.script, 'h1')],
      })));
      // the MASTER first, so the BACKUP never wins the start-up race
      await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
      await a.waitForLog(/\(VI_1\) Entering MASTER STATE/, 2000);
      const start = peer === 'ours' ? startKeepalivedTs : startKeepalived;
      const b = keep(start(h2, vrrpConfig({
        state: 'BACKUP', priority: 90, vips: [`${VIP}/24`], extraGlobal: GLOBAL, extraInstance: notifyLines(rec.script, 'h2'),
      })));
      await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 5000);
      await new Promise((r) => setTimeout(r, 1500)); // the BACKUP has heard the MASTER
      assert.equal(await h2.hasAddress(VIP), false, 'the BACKUP must not hold the VIP');
      await until('MASTER/BACKUP notifies', () => rec.lines().includes('h1-generic INSTANCE VI_1 MASTER 100') && rec.lines().includes('h2-generic INSTANCE VI_1 BACKUP 90'), 3000, 25);

      // link down: FAULT, priority 0 on the wire, VIP released, the BACKUP takes over
      const cap = await lab.capture('vrrp');
      const tDown = Date.now();
      await h1.setLink(spare.peer, false);
      await a.waitForLog(/\(VI_1\) Entering FAULT STATE/, 3000);
      const released = await h1.waitForAddress(VIP, { present: false, timeoutMs: 2000 });
      assert.ok(Date.now() - tDown < 1500, `VIP released ${released} ms after the wait began`);
      await h2.waitForAddress(VIP, { timeoutMs: 3000 });
      const frames = await cap.waitFor((fs_) => fs_.some((f) => vrrpInfo(f.frame)?.src === h1.ip4 && vrrpInfo(f.frame)?.priority === 0), 3000);
      assert.ok(frames.some((f) => vrrpInfo(f.frame)?.src === h1.ip4 && vrrpInfo(f.frame)?.priority === 0), 'the faulted MASTER sends a priority 0 advert');
      await until('FAULT / MASTER notifies', () => rec.lines().includes('h1-fault') && rec.lines().includes('h1-generic INSTANCE VI_1 FAULT 100')
        && rec.lines().includes('h2-master') && rec.lines().includes('h2-generic INSTANCE VI_1 MASTER 90'), 3000, 25);
      // while in FAULT the instance stays silent
      await new Promise((r) => setTimeout(r, 1500));
      const late = cap.frames().filter((f) => vrrpInfo(f.frame)?.src === h1.ip4 && f.tsUs / 1000 > Date.now() - 1200);
      assert.equal(late.length, 0, 'no adverts from an instance in FAULT');
      await cap.stop();

      // link up: BACKUP first, then preemption makes it MASTER again
      await h1.setLink(spare.peer, true);
      await a.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 3000);
      await h1.waitForAddress(VIP, { timeoutMs: 8000 });
      await h2.waitForAddress(VIP, { present: false, timeoutMs: 3000 });
      await until('recovery notifies', () => rec.lines().filter((l) => l === 'h1-generic INSTANCE VI_1 MASTER 100').length === 2
        && rec.lines().includes('h1-generic INSTANCE VI_1 BACKUP 100')
        && rec.lines().filter((l) => l === 'h2-generic INSTANCE VI_1 BACKUP 90').length === 2
        // the specific scripts run concurrently with the generic ones: wait for them too
        && rec.lines().filter((l) => l === 'h1-master').length === 2 && rec.lines().filter((l) => l === 'h1-backup').length === 2, 3000, 25);
      assert.deepEqual(rec.lines().filter((l) => l.startsWith('h2-generic')).map((l) => l.split(' ')[3]), ['BACKUP', 'MASTER', 'BACKUP']);
      const order = rec.lines().filter((l) => l.startsWith('h1-generic')).map((l) => l.split(' ')[3]);
      // keepalived: `state MASTER` below 255 starts in BACKUP (notified) and wins after master down
      assert.deepEqual(order, ['BACKUP', 'MASTER', 'FAULT', 'BACKUP', 'MASTER']);
      assert.equal(rec.lines().filter((l) => l === 'h1-master').length, 2);
      assert.equal(rec.lines().filter((l) => l === 'h1-backup').length, 2);
      assert.equal(rec.lines().filter((l) => l === 'h1-fault').length, 1);
    }, { onFailure: () => console.error(rec.lines().join('\n')) });
  } finally {
    rec.cleanup();
  }
}

test('track_interface: tracked link down ⇒ FAULT, priority 0, VIP moves; link up ⇒ MASTER again (keepalived-ts BACKUP)', { timeout: 60_000 }, async () => {
  await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
    await scenario(lab.hosts[0]!, lab.hosts[1]!, lab, 'ours');
  });
});

test('track_interface: the same failover with the real keepalived 2.2.7 as the BACKUP', { timeout: 60_000 }, async () => {
  await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
    await scenario(lab.hosts[0]!, lab.hosts[1]!, lab, 'keepalived');
  });
});
