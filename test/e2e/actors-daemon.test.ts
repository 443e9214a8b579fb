/**
 * The daemon's monitors and notifiers are actors of their own, on other threads than the VRRP actors:
 * --dump-state shows the vrrp_script and the tracked interface on 'checker' hosts, the notify scripts
 * and the notify FIFO on 'notifier' hosts, none sharing a host with the VRRP actor. Crashing the
 * notifier, the FIFO writer and the script monitor (fault injection) changes nothing for VRRP: the
 * MASTER keeps its state and the VIP, its actor is never restarted; and the next transition (the
 * track_script failing ⇒ FAULT) is still notified — once, by script and FIFO line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withLab } from '../helpers/lab';
import { request } from '../../src/supervisor';
import { startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { actorOf, dumpState, instanceOf, until, type DumpedState } from '../helpers/bench-daemon';
import { notifyRecorder, withDaemons } from '../helpers/e2e';

const VIP = '192.0.2.100';

type Actor = DumpedState['actors'][number] & { pool?: string };
type HostRow = { id: string; pool: string };

test('monitors and notifiers run as their own actors on checker/notifier hosts; a crashed notifier leaves the MASTER and its VIP alone and the next transition is still notified once', { timeout: 60_000 }, async (t) => {
  const rec = notifyRecorder('kts-actors-');
  const { dir, lines } = rec;
  const fail = path.join(dir, 'fail');
  const fifo = path.join(dir, 'fifo');
  fs.writeFileSync(path.join(dir, 'chk.sh'), `#!/bin/sh\n[ ! -e ${fail} ]\n`, { mode: 0o755 });
  execFileSync('mkfifo', ['-m', '600', fifo]);
  const fifoFd = fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK); // our reader end
  try {
    await withLab({ hosts: 1, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
      const h1 = lab.hosts[0]!;
      await withDaemons(async (keep) => {
        const daemon = keep(startKeepalivedTs(h1, [
          vrrpConfig({
            state: 'MASTER', priority: 100, vips: [`${VIP}/24`],
            extraGlobal: ['script_user root', 'enable_script_security', `notify_fifo ${fifo}`],
            extraInstance: ['track_script {', '  chk', '}', `notify "${rec.script}"`],
          }),
          'vrrp_script chk {', `  script "${path.join(dir, 'chk.sh')}"`, '  interval 1', '  weight 0', '  fall 1', '  rise 1', '}', '',
        ].join('\n'), { args: ['--enable-fault-injection'] }));
        await h1.waitForAddress(VIP, { timeoutMs: 10_000 });
        await until('MASTER notified', async () => lines().includes('INSTANCE VI_1 MASTER 100'), 3000);

        // placement: every monitor/notifier on a host of its pool, none on the VRRP actor's host, except the
        // link monitor: it runs only on a carrier change, and on a checker host of its own it cost every
        // daemon a 12-15 MB thread (issue 13), so it shares the VRRP pool
        const s0 = await dumpState(daemon);
        const hosts = s0.hosts as HostRow[];
        const poolOf = (a: Actor): string | undefined => hosts.find((h) => h.id === a.host)?.pool;
        const vrrp = actorOf(s0, 'vrrp:VI_1') as Actor;
        assert.equal(poolOf(vrrp), 'vrrp');
        const expected: Record<string, string> = { 'script:chk': 'checker', 'notify:VI_1': 'notifier', 'notify-fifo': 'notifier' };
        const link = actorOf(s0, 'link:eth0') as Actor;
        assert.equal(link.state, 'running', 'link:eth0 running');
        assert.equal(poolOf(link), 'vrrp', `link:eth0 runs on a vrrp host (on ${link.host})`);
        for (const [id, pool] of Object.entries(expected)) {
          const a = actorOf(s0, id) as Actor;
          assert.equal(a.state, 'running', `${id} running`);
          assert.equal(a.pool, pool, `${id} is a ${pool} actor`);
          assert.equal(poolOf(a), pool, `${id} runs on a ${pool} host (on ${a.host})`);
          assert.notEqual(a.host, vrrp.host, `${id} does not share the VRRP actor's host`);
        }
        const snap = (actorOf(s0, 'script:chk') as Actor & { snapshot: { state: { result: number; initState: string } } }).snapshot;
        assert.equal(snap.state.initState, 'done', 'the script monitor keeps its rise/fall state in its snapshot');

        // crash the notifier, the FIFO writer and the script monitor
        for (const actor of ['notify:VI_1', 'notify-fifo', 'script:chk']) {
          const r = await request(daemon.controlSocket, { cmd: 'fault-inject', actor, fault: 'crash' });
          assert.equal(r.ok, true, `fault-inject ${actor}: ${JSON.stringify(r)}`);
        }
        await until('the three restarted', async () => {
          const s = await dumpState(daemon);
          return ['notify:VI_1', 'notify-fifo', 'script:chk'].every((id) => { const a = actorOf(s, id); return a.restarts >= 1 && a.state === 'running'; });
        }, 5000);
        // VRRP unaffected for a while: MASTER, VIP held, its actor never restarted
        const end = Date.now() + 2500;
        while (Date.now() < end) {
          const s = await dumpState(daemon);
          assert.equal(instanceOf(s, 'VI_1').state, 'MASTER');
          assert.equal(actorOf(s, 'vrrp:VI_1').restarts, 0, 'the VRRP actor was not touched');
          const ip = await h1.exec(['ip', '-4', 'addr', 'show', 'dev', 'eth0']);
          assert.match(ip.stdout, new RegExp(`${VIP.replace(/\./g, '\\.')}/24`), 'the VIP stays');
          await new Promise((r) => setTimeout(r, 250));
        }
        const before = ['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 100'];
        assert.deepEqual(lines(), before, 'no notification repeated by a restart');

        // the next transition is notified by the restarted notifier and FIFO writer
        fs.writeFileSync(fail, '');
        await daemon.waitForLog(/\(VI_1\) Entering FAULT STATE/, 4000);
        await until('FAULT notified', async () => lines().length >= 3, 3000);
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(lines().length, 3, `exactly one more notification: ${lines().join(' | ')}`);
        assert.deepEqual(lines().slice(0, 2), before);
        assert.match(lines()[2]!, /^INSTANCE VI_1 FAULT \d+$/);
        const buf = Buffer.alloc(4096);
        let fifoText = '';
        try {
          fifoText = buf.subarray(0, fs.readSync(fifoFd, buf)).toString();
        } catch { /* empty */ }
        assert.match(fifoText, /^INSTANCE "VI_1" BACKUP 100\nINSTANCE "VI_1" MASTER 100\nINSTANCE "VI_1" FAULT \d+\n$/, `FIFO lines: ${JSON.stringify(fifoText)}`);
      });
    });
  } finally {
    fs.closeSync(fifoFd);
    rec.cleanup();
  }
});
