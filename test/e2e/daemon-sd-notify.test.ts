/**
 * sd_notify(3) as systemd's Type=notify sees it: a unix datagram listener stands in for
 * $NOTIFY_SOCKET. READY=1 once every instance has entered its first state and the control socket
 * listens, RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 before the priority-0
 * advert, WATCHDOG=1 every WATCHDOG_USEC/2, and scripts never see NOTIFY_SOCKET.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { withLab, makeTempDir, type Host } from '../helpers/lab';
import { startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { withDaemons, logTimeMs, scriptDir } from '../helpers/e2e';
import { sleep, until } from '../helpers/bench-daemon';
import { vrrpInfo } from '../helpers/pcap';
import { SdNotifier } from '../../src/io/sd-notify';
import { request } from '../../src/supervisor';

const VIP = '192.0.2.100';

/** Binds a unix datagram socket (path, or '@name' abstract) and prints each datagram as {"t": epoch s, "msg": text}. */
const LISTENER = `
import socket, sys, time, json
a = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind('\\0' + a[1:] if a.startswith('@') else a)
print(json.dumps({"t": time.time(), "msg": "BOUND"}), flush=True)
while True:
    d = s.recv(65536)
    print(json.dumps({"t": time.time(), "msg": d.decode()}), flush=True)
`;

interface Datagram {
  t: number;
  msg: string;
}

class Listener {
  readonly got: Datagram[] = [];
  private readonly proc: ChildProcess;
  private buf = '';

  constructor(readonly address: string) {
    this.proc = spawn('python3', ['-c', LISTENER, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.proc.stdout!.on('data', (d: Buffer) => {
      this.buf += d.toString('utf8');
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.got.push(JSON.parse(this.buf.slice(0, i)) as Datagram);
        this.buf = this.buf.slice(i + 1);
      }
    });
  }

  async bound(): Promise<void> {
    await until('listener bound', () => this.got.some((d) => d.msg === 'BOUND'), 5000, 10);
  }

  /** Datagrams carrying the field `KEY=value`, after index `from`. */
  with(field: string, from = 0): (Datagram & { i: number })[] {
    return this.got.map((d, i) => ({ ...d, i })).filter((d) => d.i >= from && d.msg.split('\n').includes(field));
  }

  close(): void {
    this.proc.kill('SIGKILL');
  }
}

test('sd_notify: READY=1 after the first states and the control socket, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 before the priority-0 advert, WATCHDOG=1, no NOTIFY_SOCKET in scripts', async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 60_000 }, async (lab) => {
    const h1 = lab.hosts[0] as Host;
    const dir = makeTempDir('kts-sdn-');
    const sock = path.join(dir, 'notify.sock');
    const scripts = scriptDir('kts-sdn-s-');
    const envFile = path.join(scripts, 'env.txt');
    const script = path.join(scripts, 'notify.sh');
    fs.writeFileSync(script, `#!/bin/sh\nenv > ${envFile}\n`, { mode: 0o755 });
    const listener = new Listener(sock);
    try {
      await listener.bound();
      await withDaemons(async (keep) => {
        const cfg = vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`], extraInstance: [`notify_master ${script}`] });
        const d = keep(startKeepalivedTs(h1, cfg, { env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: '200000', TMPDIR: dir }, args: ['--enable-fault-injection'] }));
        await until('READY=1', () => listener.with('READY=1').length > 0, 15_000, 10);
        const ready = listener.with('READY=1')[0]!;
        assert.match(ready.msg, /^STATUS=VRRP instances: .+$/m, 'READY carries a one-line STATUS');
        const firstState = d.logs().find((l) => l.includes('Entering BACKUP STATE (init)'));
        assert.ok(firstState && logTimeMs(firstState) <= ready.t * 1000 + 1, 'READY after the instance entered its first state');
        assert.ok(fs.statSync(d.controlSocket).mtimeMs <= ready.t * 1000 + 1, 'READY after the control socket exists');

        // WATCHDOG_USEC 200 ms: a ping every 100 ms from the main loop
        const w0 = listener.with('WATCHDOG=1').length;
        await sleep(1000);
        const pings = listener.with('WATCHDOG=1').length - w0;
        assert.ok(pings >= 6 && pings <= 12, `WATCHDOG=1 pings in 1 s: ${pings}`);

        // the daemon's own main loop blocked (fault injection) for 1.5 s: no ping meanwhile, pings after
        const t0 = Date.now() / 1000;
        const blocked = await request(d.controlSocket, { cmd: 'block-main', ms: 1500 }, 10_000);
        assert.equal(blocked.ok, true, JSON.stringify(blocked));
        const t1 = Date.now() / 1000;
        const during = listener.with('WATCHDOG=1').filter((x) => x.t > t0 + 0.2 && x.t < t1 - 0.2);
        assert.deepEqual(during.map((x) => x.t), [], `no WATCHDOG=1 while the main loop is blocked (${t0.toFixed(3)} … ${t1.toFixed(3)})`);
        await until('WATCHDOG=1 resumes after the block', () => listener.with('WATCHDOG=1').filter((x) => x.t > t1).length >= 2, 3000, 20);

        await h1.waitForAddress(VIP, { timeoutMs: 15_000 });
        await until('notify_master ran', () => fs.existsSync(envFile), 5000, 20);
        const env = fs.readFileSync(envFile, 'utf8');
        assert.doesNotMatch(env, /^NOTIFY_SOCKET=/m, 'scripts do not inherit NOTIFY_SOCKET');
        assert.doesNotMatch(env, /^WATCHDOG_USEC=/m);

        const mark = listener.got.length;
        d.signal('SIGHUP');
        await until('READY=1 after RELOADING=1', () => {
          const rl = listener.with('RELOADING=1', mark)[0];
          return rl && listener.with('READY=1', rl.i + 1).length > 0;
        }, 10_000, 10);
        assert.equal(listener.with('READY=1', mark)[0]!.i > listener.with('RELOADING=1', mark)[0]!.i, true, 'RELOADING=1 comes first');
        assert.match(listener.with('RELOADING=1', mark)[0]!.msg, /^MONOTONIC_USEC=\d+$/m);

        const cap = await lab.capture('vrrp');
        await sleep(300);
        await d.stop();
        const frames = await cap.stop();
        const zero = frames.find((f) => {
          const v = vrrpInfo(f.frame);
          return v && v.priority === 0 && v.src === h1.ip4;
        });
        assert.ok(zero, 'the daemon sent its priority-0 advert');
        const stopping = listener.with('STOPPING=1')[0];
        assert.ok(stopping, 'STOPPING=1 was sent');
        assert.ok(stopping.t * 1e6 <= zero.tsUs, `STOPPING=1 (${stopping.t}) before the priority-0 advert (${zero.tsUs / 1e6})`);
      });
    } finally {
      listener.close();
    }
  });
});

test('sd_notify reaches an abstract-namespace NOTIFY_SOCKET (@name) and takes the variables out of the environment', async () => {
  const name = `@kts-sdn-${process.pid}-${Date.now()}`;
  const listener = new Listener(name);
  try {
    await listener.bound();
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: name, WATCHDOG_USEC: '1000000', WATCHDOG_PID: String(process.pid) };
    const n = new SdNotifier({ env });
    assert.deepEqual(env, {}, 'NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID removed');
    assert.equal(n.watchdogUsec, 1_000_000);
    assert.ok(n.ready('VRRP instances: 1 MASTER'));
    assert.ok(n.stopping());
    await until('two datagrams', () => listener.got.length >= 3, 5000, 10);
    assert.equal(listener.got[1]!.msg, 'READY=1\nSTATUS=VRRP instances: 1 MASTER');
    assert.equal(listener.got[2]!.msg, 'STOPPING=1');
    const errors: string[] = [];
    const gone = new SdNotifier({ env: { NOTIFY_SOCKET: `@kts-sdn-nobody-${process.pid}` }, onError: (e) => errors.push(e.code) });
    assert.equal(gone.ready(), false);
    assert.deepEqual(errors, ['E_IO_NOTIFY'], 'a socket nobody listens on is an E_IO_NOTIFY error');
    assert.equal(new SdNotifier({ env: {} }).ready(), false, 'without NOTIFY_SOCKET nothing is sent');
  } finally {
    listener.close();
  }
});

test('WATCHDOG=1 comes from the main loop: the pings stop while the loop is blocked and resume after', async () => {
  const name = `@kts-sdn-wd-${process.pid}-${Date.now()}`;
  const listener = new Listener(name);
  try {
    await listener.bound();
    const n = new SdNotifier({ env: { NOTIFY_SOCKET: name, WATCHDOG_USEC: '100000' } });
    n.startWatchdog();
    await sleep(400);
    const blockedAt = Date.now() / 1000;
    const busyUntil = Date.now() + 600;
    while (Date.now() < busyUntil) {
      /* the main loop is blocked: no timer runs */
    }
    const unblockedAt = Date.now() / 1000;
    await sleep(400);
    n.stopWatchdog();
    await sleep(50);
    const pings = listener.with('WATCHDOG=1');
    const before = pings.filter((p) => p.t < blockedAt).length;
    const during = pings.filter((p) => p.t > blockedAt + 0.06 && p.t < unblockedAt - 0.01).length;
    const after = pings.filter((p) => p.t > unblockedAt).length;
    assert.ok(before >= 3, `pings every 50 ms before the block: ${before}`);
    assert.equal(during, 0, 'no ping while the main loop is blocked');
    assert.ok(after >= 3, `pings again after it: ${after}`);
  } finally {
    listener.close();
  }
});
