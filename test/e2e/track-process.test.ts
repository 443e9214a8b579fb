/**
 * vrrp_track_process with real daemons in lab namespaces (keepalived.conf(5) "vrrp_track_process":
 * process, quorum, weight, delay/terminate_delay). The tracked process is a copy of /bin/sleep with a
 * unique name (its comm), started and killed by the test; the daemons share the test's pid namespace.
 *  1. quorum 1, weight 0, keepalived-ts MASTER 100 vs keepalived 2.2.7 BACKUP 90: the process dies ⇒
 *     "Quorum lost", FAULT, a priority-0 advert, keepalived takes the VIP; it runs again ⇒ "Quorum
 *     gained", keepalived-ts preempts back.
 *  2. terminate_delay 1.5: a process replaced within the delay changes nothing; one that stays away
 *     makes the instance FAULT only once the delay has passed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { withLab } from '../helpers/lab';
import { startKeepalived, startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { vrrpInfo } from '../helpers/pcap';
import { dumpState } from '../helpers/bench-daemon';
import { logTimeMs, withDaemons } from '../helpers/e2e';

const VIP = '192.0.2.100';

/** A copy of /bin/sleep named kts<pid36><n> (≤ 15 characters: it is the process's comm). */
function trackedBinary(dir: string, n: number): { name: string; start(): ChildProcess } {
  const name = `kts${process.pid.toString(36)}p${n}`;
  const bin = path.join(dir, name);
  fs.copyFileSync('/bin/sleep', bin);
  fs.chmodSync(bin, 0o755);
  return { name, start: () => spawn(bin, ['1000'], { stdio: 'ignore' }) };
}

async function killAndWait(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const done = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await done;
}

test('vrrp_track_process quorum 1 weight 0: the process dying is FAULT (priority-0 advert, keepalived 2.2.7 takes the VIP), running again takes it back', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-tp-'));
  const tb = trackedBinary(dir, 1);
  let proc: ChildProcess | undefined = tb.start();
  try {
    await withLab({ hosts: 2, timeoutMs: 55_000 }, async (lab) => {
      const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
      await withDaemons(async (keep) => {
        const a = keep(startKeepalivedTs(h1, [
          vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraInstance: ['track_process {', '  svc', '}'] }),
          'vrrp_track_process svc {', `  process ${tb.name}`, '  quorum 1', '  weight 0', '}', '',
        ].join('\n')));
        await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
        const b = keep(startKeepalived(h2, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] })));
        await b.waitForLog(/\(VI_1\) Entering BACKUP STATE/, 6000);
        await new Promise((r) => setTimeout(r, 1200));

        const s0 = await dumpState(a);
        const procs0 = (s0 as unknown as { vrrp: { processes: { name: string; running: number; haveQuorum: boolean }[] } }).vrrp.processes;
        assert.deepEqual(procs0.map((p) => [p.name, p.running, p.haveQuorum]), [['svc', 1, true]], '--dump-state counts the running process');

        const cap = await lab.capture('vrrp');
        await killAndWait(proc);
        await a.waitForLog(/Quorum lost for tracked process svc/, 2000);
        await a.waitForLog(/\(VI_1\) Entering FAULT STATE/, 1000);
        await h2.waitForAddress(VIP, { timeoutMs: 3000 });
        await h1.waitForAddress(VIP, { present: false, timeoutMs: 2000 });
        await b.waitForLog(/\(VI_1\) Entering MASTER STATE/, 1000);
        const mine = cap.frames().map((x) => vrrpInfo(x.frame)).filter((v) => v && v.src === h1.ip4);
        assert.ok(mine.some((v) => v!.priority === 0), 'leaving MASTER for FAULT sends a priority-0 advert');
        await cap.stop();

        proc = tb.start();
        await a.waitForLog(/Quorum gained for tracked process svc/, 2000);
        await h1.waitForAddress(VIP, { timeoutMs: 8000 });
        await h2.waitForAddress(VIP, { present: false, timeoutMs: 3000 });
      });
    });
  } finally {
    await killAndWait(proc);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('vrrp_track_process terminate_delay 1.5: a process replaced within the delay changes nothing, one that stays away is FAULT after the delay', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-tp-'));
  const tb = trackedBinary(dir, 2);
  let proc: ChildProcess | undefined = tb.start();
  try {
    await withLab({ hosts: 1, timeoutMs: 55_000 }, async (lab) => {
      const h1 = lab.hosts[0]!;
      await withDaemons(async (keep) => {
        const a = keep(startKeepalivedTs(h1, [
          vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraInstance: ['track_process {', '  svc', '}'] }),
          'vrrp_track_process svc {', `  process ${tb.name}`, '  terminate_delay 1.5', '}', '',
        ].join('\n')));
        await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
        await new Promise((r) => setTimeout(r, 500));

        // replaced after ~0.6 s: inside the delay
        await killAndWait(proc);
        await new Promise((r) => setTimeout(r, 600));
        proc = tb.start();
        await new Promise((r) => setTimeout(r, 2000));
        assert.ok(!a.logs().some((l) => /Quorum lost|FAULT/.test(l)), 'no quorum loss, no FAULT for a process back within terminate_delay');

        await killAndWait(proc);
        const tKill = Date.now();
        const lost = await a.waitForLog(/Quorum lost for tracked process svc/, 4000);
        const after = logTimeMs(lost) - tKill;
        assert.ok(after >= 1400 && after <= 1400 + 800, `quorum lost ${after} ms after the exit (terminate_delay 1.5 s, polled every 200 ms)`);
        await a.waitForLog(/\(VI_1\) Entering FAULT STATE/, 1000);
        await h1.waitForAddress(VIP, { present: false, timeoutMs: 2000 });
      });
    });
  } finally {
    await killAndWait(proc);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
