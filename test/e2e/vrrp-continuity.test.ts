/**
 * Continuity (issue 13): a MASTER whose VRRP actor crashes 20 times and hangs 5 times keeps its
 * adverts on time, at advert_int 1 s (VRRPv2) and 0.1 s (VRRPv3), next to a keepalived 2.2.7 BACKUP.
 * While the actor is late, down or restarting, the main thread sends the MASTER's adverts from its
 * last state (src/daemon/deputy.ts); a hung host is declared hung after the supervisor's documented
 * bound (2 s) and restarted. The BACKUP never advertises and never adds the VIP; every gap between
 * our adverts on the wire stays within advert_int + 20 ms, plus what the OS adds by descheduling the
 * main thread (the deputy measures how late its timer ran; on 2 cores shared by parallel suites
 * that was up to ~90 ms). And the deputy does not outvote the RFC:
 * a real higher-priority peer that appears during a hang wins (RFC 5798 §6.4.3).
 *
 * @run-alone: scripts/run-tests.js runs this file after the others, by itself — at 0.1 s a second
 * test file's daemons on the same 2 cores delay the main thread by up to ~140 ms (measured), which
 * decides the gaps instead of the daemon.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, type Host, type Lab } from '../helpers/lab';
import { request } from '../../src/supervisor';
import { startKeepalived, startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { dumpLogs } from '../helpers/e2e';
import { actorOf, adverts, dumpState, instanceOf, sleep, until, watchAddress, type AdvertFrame } from '../helpers/bench-daemon';

const VIP = '192.0.2.100';
const HANG_MS = 5_000;

async function inject(d: DaemonHandle, fault: 'crash' | 'hang'): Promise<void> {
  const resp = await request(d.controlSocket, { cmd: 'fault-inject', actor: 'vrrp:VI_1', fault });
  assert.equal(resp.ok, true, `fault-inject ${fault}: ${JSON.stringify(resp)}`);
}

async function running(d: DaemonHandle, what: string, restarts: number): Promise<void> {
  await until(what, async () => {
    const a = actorOf(await dumpState(d), 'vrrp:VI_1');
    return a.restarts >= restarts && a.state === 'running';
  }, 10_000, 100);
}

function gapsMs(mine: AdvertFrame[]): number[] {
  return mine.slice(1).map((x, i) => (x.tsUs - mine[i]!.tsUs) / 1000);
}

interface Pair { lab: Lab; h: Host[]; master: DaemonHandle; backup: DaemonHandle }

async function withPair(t: { signal: AbortSignal }, hosts: number, advertInt: number, body: (x: Pair) => Promise<void>): Promise<void> {
  const version = advertInt < 1 ? 3 : 2;
  await withLab({ hosts, signal: t.signal, timeoutMs: 170_000 }, async (lab) => {
    const h = lab.hosts;
    const master = startKeepalivedTs(h[0]!, vrrpConfig({ state: 'MASTER', priority: 100, version, advertInt, vips: [`${VIP}/24`] }), { args: ['--enable-fault-injection'] });
    const backup = startKeepalived(h[1]!, vrrpConfig({ state: 'BACKUP', priority: 80, version, advertInt, vips: [`${VIP}/24`] }));
    try {
      await h[0]!.waitForAddress(VIP, { timeoutMs: 10_000 });
      await until('h1 MASTER', async () => instanceOf(await dumpState(master), 'VI_1').state === 'MASTER', 5_000);
      await backup.waitForLog(/Entering BACKUP STATE/, 5_000);
      await body({ lab, h, master, backup });
    } catch (e) {
      dumpLogs([master, backup], 80);
      throw e;
    } finally {
      await Promise.all([master, backup].map((d) => d.stop().catch(() => undefined)));
    }
  });
}

for (const advertInt of [1, 0.1]) {
  const intMs = advertInt * 1000;
  test(`advert_int ${advertInt} s: 20 crashes and 5 hangs of the MASTER's actor; the keepalived BACKUP never advertises nor adds the VIP, gaps ≤ ${intMs + 20} ms + the main thread's measured scheduling delay`, { timeout: 180_000 }, async (t) => {
    await withPair(t, 2, advertInt, async ({ lab, h, master, backup }) => {
      const cap = await lab.capture('vrrp');
      const vipOnBackup = watchAddress(h[1]!, VIP);
      const vipOnMaster = watchAddress(h[0]!, VIP);
      const backupLogsBefore = backup.logs().length;
      let restarts = actorOf(await dumpState(master), 'vrrp:VI_1').restarts;
      for (let n = 1; n <= 20; n++) {
        await inject(master, 'crash');
        await running(master, `restart after crash ${n}`, ++restarts);
        await sleep(100);
      }
      for (let n = 1; n <= 5; n++) {
        const t0 = Date.now();
        await inject(master, 'hang');
        await running(master, `restart after hang ${n}`, ++restarts);
        await sleep(Math.max(0, HANG_MS - (Date.now() - t0)));
      }
      await sleep(2 * intMs);
      const frames = await cap.stop();
      const onBackup = await vipOnBackup.stop();
      const onMaster = await vipOnMaster.stop();
      const s = await dumpState(master);
      assert.equal(instanceOf(s, 'VI_1').state, 'MASTER');
      assert.equal(actorOf(s, 'vrrp:VI_1').state, 'running');
      assert.equal(onBackup.absent, onBackup.samples, 'the keepalived BACKUP added the VIP');
      assert.equal(onMaster.absent, 0, `VIP missing from the master in ${onMaster.absent}/${onMaster.samples} samples`);
      assert.deepEqual(adverts(frames, { src: h[1]!.ip4 }), [], 'the keepalived BACKUP advertised');
      assert.doesNotMatch(backup.logs().slice(backupLogsBefore).join('\n'), /Entering MASTER STATE/);
      const mine = adverts(frames, { src: h[0]!.ip4 });
      assert.deepEqual(mine.filter((x) => x.priority !== 100), [], 'the master sent a priority other than 100');
      const dep = s.daemon.deputy!;
      // what the OS adds: the deputy's timer ran this late on the main thread at worst (2 shared cores)
      const sched = dep.maxFireLateMs;
      const bound = intMs + 20 + sched;
      const gaps = gapsMs(mine);
      const worst = Math.max(...gaps);
      const at = mine[gaps.indexOf(worst) + 1]!;
      const over = gaps.filter((g) => g > intMs + 20).length;
      t.diagnostic(`adverts ${mine.length}, max gap ${worst.toFixed(1)} ms ending ${new Date(at.tsUs / 1000).toISOString()}, ${over}/${gaps.length} gaps over ${intMs + 20} ms; deputy: ${dep.adverts} adverts in ${dep.episodes} episodes, its timer ran up to ${sched} ms late`);
      const spanMs = (mine[mine.length - 1]!.tsUs - mine[0]!.tsUs) / 1000;
      assert.ok(spanMs >= 25_000, `our adverts span ${spanMs} ms of the run`);
      assert.ok(worst <= bound, `advert gap ${worst.toFixed(1)} ms > ${intMs} + 20 ms + ${sched} ms the main thread was descheduled`);
      assert.ok(dep.episodes >= 5, `deputy episodes ${dep.episodes}: none for some of the 5 hangs`);
    });
  });
}

test('advert_int 0.1 s: a higher-priority keepalived that appears while our actor hangs wins (RFC 5798 §6.4.3): the deputy stops, the restarted actor goes BACKUP', { timeout: 120_000 }, async (t) => {
  await withPair(t, 3, 0.1, async ({ lab, h, master }) => {
    const cap = await lab.capture('vrrp');
    await inject(master, 'hang');
    const peer = startKeepalived(h[2]!, vrrpConfig({ state: 'BACKUP', priority: 150, version: 3, advertInt: 0.1, vips: [`${VIP}/24`] }));
    try {
      await h[2]!.waitForAddress(VIP, { timeoutMs: 5_000 });
      const tookAt = Date.now();
      // the actor is still hung (declared hung after 2 s): the main thread removes the VIP at once, so
      // the new master does not share it with us until the restarted actor goes BACKUP
      await h[0]!.waitForAddress(VIP, { present: false, timeoutMs: 1_000 });
      const goneMs = Date.now() - tookAt;
      await until('our instance BACKUP', async () => instanceOf(await dumpState(master), 'VI_1').state === 'BACKUP', 8_000);
      assert.equal(await h[0]!.hasAddress(VIP), false, 'the restarted actor added the VIP again');
      await sleep(500);
      const frames = await cap.stop();
      const theirs = adverts(frames, { src: h[2]!.ip4 });
      assert.ok(theirs.length > 0, 'the peer never advertised');
      const firstTheirs = theirs.find((x) => x.priority === 150)!;
      // after the peer's first advert, ours stop at once (the deputy ends; the actor, once back, stays BACKUP)
      const oursAfter = adverts(frames, { src: h[0]!.ip4 }).filter((x) => x.tsUs > firstTheirs.tsUs + 50_000 && x.priority !== 0);
      assert.deepEqual(oursAfter.map((x) => x.priority), [], 'we kept advertising after a higher-priority master appeared');
      assert.equal(await h[2]!.hasAddress(VIP), true);
      assert.match(master.logs().join('\n'), /wins while the VRRP actor is late: the main thread removes the VIPs/);
      t.diagnostic(`our VIP gone ${goneMs} ms after the peer took it`);
    } finally {
      await peer.stop().catch(() => undefined);
    }
  });
});
