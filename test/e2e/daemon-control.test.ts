/**
 * The running daemon seen from outside: --dump-state over the control socket, SIGUSR1/SIGUSR2 dump
 * files, SIGHUP reload (only changed instances restart, the VIP does not flap), SIGTERM (priority 0
 * advert, VIP released) and --dont-release-vrrp — real daemons in lab namespaces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTempDir, removeTempDir, withLab } from '../helpers/lab';
import { startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { dumpLogs, AS_NOBODY } from '../helpers/e2e';
import { actorOf, adverts, dumpState, instanceOf, instancesConfig, ktsCli, sleep, until, watchAddress } from '../helpers/bench-daemon';

const VIP = '192.0.2.100';

test('--dump-state (json and text) documents actors and VRRP instances; SIGUSR1/SIGUSR2 write the data and stats files; non-root clients are refused', { timeout: 60_000 }, async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    // data/stats files in a dir of our own, so parallel tests never collide on /tmp/keepalived.*
    const dataDir = makeTempDir('kts-dump-');
    const dataFile = join(dataDir, 'ka.data');
    const statsFile = join(dataDir, 'ka.stats');
    const c = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`] }), { args: ['--data-file', dataFile, '--stats-file', statsFile] });
    const b = startKeepalivedTs(h2!, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] }));
    try {
      await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
      await until('h1 MASTER', async () => (await dumpState(c)).vrrp.instances[0]?.state === 'MASTER', 5_000, 200);

      const s = await dumpState(c);
      assert.equal(s.version, 1);
      assert.equal(s.pid, c.pid, 'pid of the daemon (ip netns exec execs it)');
      const act = actorOf(s, 'vrrp:VI_1');
      assert.equal(act.kind, 'vrrp');
      assert.equal(typeof act.host, 'string');
      assert.equal(act.state, 'running');
      assert.equal(act.restarts, 0);
      assert.equal(act.lastError, null);
      assert.ok(act.uptimeMs > 0, `uptime ${act.uptimeMs}`);
      assert.equal(typeof act.mailbox, 'number');
      const vi = instanceOf(s, 'VI_1');
      assert.equal(vi.state, 'MASTER');
      assert.equal(vi.priority, 100);
      assert.equal(vi.effectivePriority, 100);
      assert.equal(vi.master, '192.0.2.11');
      assert.ok(vi.timers && 'advert' in vi.timers, `timers ${JSON.stringify(vi.timers)}`);
      assert.deepEqual(vi.vips, [`${VIP}/24`]);
      assert.equal(vi.vipsHeld, true);
      assert.ok(typeof vi.counters.rxAccepted === 'number', JSON.stringify(vi.counters));
      assert.ok(Object.keys(vi.counters).length > 1, `counters ${JSON.stringify(vi.counters)}`);
      // where the adverts' time goes (src/daemon/advert-timing.ts): stages add up to deadline → sendto
      const at = vi.advertTiming;
      assert.ok(at && at.adverts >= 1 && at.window >= 1, `advertTiming ${JSON.stringify(at)}`);
      for (const k of ['wake', 'step', 'hop', 'send', 'total'] as const) assert.ok(at[k].p50 >= 0 && at[k].p99 >= at[k].p50 && at[k].max >= at[k].p99, `${k} ${JSON.stringify(at[k])}`);
      assert.ok(at.total.max >= at.hop.p50, JSON.stringify(at));

      const txt = await ktsCli(h1!, ['--dump-state', '--control-socket', c.controlSocket, '--format', 'text']);
      assert.equal(txt.code, 0, txt.stderr);
      // aligned tables: instances, actors, hosts (src/observe/text.ts)
      assert.match(txt.stdout, /\nINSTANCES\nNAME\s+INTF\s+VRID\s+STATE\s+PRIO\s+EFFECTIVE\s+MASTER\s+VIPS HELD\s+LAST TRANSITION\s+WHY\n/);
      assert.match(txt.stdout, /\nVI_1\s+\S+\s+\d+\s+MASTER\s+100\s+100\s+192\.0\.2\.11\s+192\.0\.2\.100\/24\s+\S+ \S+ BACKUP->MASTER\s+\S/);
      assert.match(txt.stdout, /\nACTORS\nID\s+KIND\s+STATE\s+HOST\s+RESTARTS\s+BY REASON\s+HANGS\s+LAST ERROR\n/);
      assert.match(txt.stdout, /\nvrrp:VI_1\s+vrrp\s+RUNNING\s+\S+\s+0\s/);
      assert.match(txt.stdout, /\nHOSTS\nID\s+POOL/);
      assert.doesNotMatch(txt.stdout, /[{}]/, 'no raw JSON blobs');

      // a wrong socket path is reported, not silently replaced by the default one
      const none = await ktsCli(h1!, ['--dump-state', '--control-socket', join(dataDir, 'nope.sock')]);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /E_CONTROL_NO_DAEMON/);

      // SIGUSR1 → data file, SIGUSR2 → stats file, in keepalived's text layouts (test/e2e/daemon-signals.test.ts compares them with keepalived's)
      c.signal('SIGUSR1');
      const data = await until('data file', async () => existsSync(dataFile) && readFileSync(dataFile, 'utf8'), 5_000);
      assert.match(data, /^ VRRP Instance = VI_1\n {3}VRRP Version = 2\n {3}State = MASTER$/m);
      c.signal('SIGUSR2');
      const stats = await until('stats file', async () => existsSync(statsFile) && readFileSync(statsFile, 'utf8'), 5_000);
      assert.match(stats, /^VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: \d+\n {4}Sent: [1-9]\d*$/m);

      // not root: the kernel refuses connect() on the 0600 socket (the directory itself is made traversable)
      chmodSync(dirname(c.controlSocket), 0o755);
      const nobody = await ktsCli(h1!, ['--dump-state', '--control-socket', c.controlSocket, '--format', 'json'], {
        prefix: [...AS_NOBODY],
      });
      assert.equal(nobody.code, 2, `${nobody.stdout} ${nobody.stderr}`);
      assert.match(nobody.stderr, /E_CONTROL_DENIED/);
      assert.doesNotMatch(nobody.stdout, /vrrp:VI_1/);
    } catch (e) {
      dumpLogs([c, b], 60);
      throw e;
    } finally {
      await Promise.all([c.stop(), b.stop()].map((p) => p.catch(() => undefined)));
      removeTempDir(dataDir);
    }
  });
});

test('SIGHUP: an unchanged config restarts no actor; a priority change restarts only that instance and the MASTER keeps its VIPs (no priority 0, no takeover)', { timeout: 90_000 }, async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 85_000 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    const conf = (p2: number, prio: number): string =>
      instancesConfig({
        instances: [
          { name: 'VI_1', state: 'MASTER', vrid: 51, priority: prio, vips: ['192.0.2.100/24'] },
          { name: 'VI_2', state: 'MASTER', vrid: 52, priority: p2, vips: ['192.0.2.101/24'] },
        ],
      });
    const a = startKeepalivedTs(h1!, conf(100, 100));
    const b = startKeepalivedTs(h2!, conf(90, 90).replace(/state MASTER/g, 'state BACKUP'));
    try {
      await h1!.waitForAddress('192.0.2.100', { timeoutMs: 10_000 });
      await h1!.waitForAddress('192.0.2.101', { timeoutMs: 10_000 });
      await until('both MASTER', async () => (await dumpState(a)).vrrp.instances.every((i) => i.state === 'MASTER'), 5_000);
      const cap = await lab.capture('vrrp');
      const w1 = watchAddress(h1!, '192.0.2.100');
      const w2 = watchAddress(h1!, '192.0.2.101');
      const before = await dumpState(a);

      // 1. unchanged config
      const t1 = Date.now();
      a.signal('SIGHUP');
      await until('reload 1', async () => (await dumpState(a)).daemon.reloads === 1, 5_000);
      await sleep(300);
      const mid = await dumpState(a);
      const elapsed1 = Date.now() - t1;
      for (const id of ['vrrp:VI_1', 'vrrp:VI_2']) {
        const x = actorOf(mid, id);
        assert.equal(x.restarts, 0, id);
        assert.ok(x.uptimeMs >= actorOf(before, id).uptimeMs + elapsed1 - 200, `${id} was restarted by an unchanged reload (uptime ${actorOf(before, id).uptimeMs} → ${x.uptimeMs})`);
      }

      // 2. VI_2's priority 100 → 110: only VI_2 starts anew
      a.writeConfig(conf(110, 100));
      const t2 = Date.now();
      a.signal('SIGHUP');
      await until('reload 2', async () => (await dumpState(a)).daemon.reloads === 2, 5_000);
      await sleep(300);
      const after = await dumpState(a);
      const sinceHup = Date.now() - t2;
      assert.ok(actorOf(after, 'vrrp:VI_1').uptimeMs > sinceHup + 500, `VI_1 restarted: uptime ${actorOf(after, 'vrrp:VI_1').uptimeMs} ms, HUP ${sinceHup} ms ago`);
      assert.ok(actorOf(after, 'vrrp:VI_2').uptimeMs <= sinceHup, `VI_2 not restarted: uptime ${actorOf(after, 'vrrp:VI_2').uptimeMs} ms, HUP ${sinceHup} ms ago`);
      assert.equal(instanceOf(after, 'VI_2').priority, 110);
      assert.equal(instanceOf(after, 'VI_2').effectivePriority, 110);
      assert.equal(instanceOf(after, 'VI_2').state, 'MASTER');
      assert.equal(instanceOf(after, 'VI_1').state, 'MASTER');

      await sleep(4_000); // longer than the backup's master-down interval
      const [r1, r2] = [await w1.stop(), await w2.stop()];
      const frames = await cap.stop();
      assert.equal(r1.absent, 0, `192.0.2.100 missing in ${r1.absent}/${r1.samples} samples`);
      assert.equal(r2.absent, 0, `192.0.2.101 missing in ${r2.absent}/${r2.samples} samples`);
      const mine = adverts(frames, { src: '192.0.2.11' });
      assert.deepEqual(mine.filter((x) => x.priority === 0), [], 'the master sent a priority 0 advert during reload');
      assert.deepEqual(adverts(frames, { src: '192.0.2.12' }), [], 'the backup advertised (took over) during reload');
      assert.equal(mine.filter((x) => x.vrid === 52).at(-1)?.priority, 110);
      assert.equal(mine.filter((x) => x.vrid === 51).at(-1)?.priority, 100);
      assert.equal(instanceOf(await dumpState(b), 'VI_2').state, 'BACKUP');
    } catch (e) {
      dumpLogs([a, b], 60);
      throw e;
    } finally {
      await Promise.all([a.stop(), b.stop()].map((p) => p.catch(() => undefined)));
    }
  });
});

test('SIGTERM: the MASTER sends a priority 0 advert and removes its VIP, the BACKUP takes over; --dont-release-vrrp keeps the VIP', { timeout: 60_000 }, async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
    const [h1, h2] = lab.hosts;
    const a = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`] }));
    const b = startKeepalivedTs(h2!, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] }));
    let c: DaemonHandle | null = null;
    try {
      await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
      const cap = await lab.capture('vrrp');
      const st = await a.stop(5_000);
      assert.equal(st.code, 0, `exit ${JSON.stringify(st)}`);
      assert.equal(await h1!.hasAddress(VIP), false, 'VIP left behind after SIGTERM');
      // priority 0 makes the backup wait only its skew time (~0.35 s), not 3.65 s
      const took = await h2!.waitForAddress(VIP, { timeoutMs: 3_000 });
      const frames = await cap.stop();
      const zero = adverts(frames, { src: '192.0.2.11' }).filter((x) => x.priority === 0);
      assert.ok(zero.length >= 1, 'no priority 0 advert on the wire');
      assert.ok(took < 2_500, `backup took ${took} ms`);
      // the takeover's own profile: heard the priority 0 advert, waited its skew time, sent
      const tk = instanceOf(await dumpState(b), 'VI_1').advertTiming?.lastTakeover;
      assert.ok(tk && tk.lastAdvertRxWall !== null && tk.masterDownMs !== null, `lastTakeover ${JSON.stringify(tk)}`);
      const skewMs = ((256 - 90) / 256) * 1000;
      assert.ok(Math.abs(tk.masterDownMs - skewMs) < 1, `master-down armed ${tk.masterDownMs} ms after the priority 0 advert, skew is ${skewMs}`);
      assert.ok(Math.abs(tk.wakeMs + tk.stepMs + tk.hopMs + tk.sendMs - tk.totalMs) < 0.01 && tk.stepMs >= 0 && tk.hopMs >= 0 && tk.sendMs >= 0, JSON.stringify(tk));
      assert.ok(tk.sentWall - tk.lastAdvertRxWall >= tk.masterDownMs && tk.sentWall <= Date.now() + 5, JSON.stringify(tk));
      const zeroOnWire = zero[0]!.tsUs / 1000;
      assert.ok(Math.abs(tk.lastAdvertRxWall - zeroOnWire) < 100, `rx stamp ${tk.lastAdvertRxWall} vs priority 0 on the wire ${zeroOnWire}`);
      await b.stop();

      c = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`] }), { args: ['--dont-release-vrrp'] });
      await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
      const st2 = await c.stop(5_000);
      assert.equal(st2.code, 0);
      assert.equal(await h1!.hasAddress(VIP), true, '--dont-release-vrrp: VIP was removed');
    } catch (e) {
      dumpLogs([a, b, c], 60);
      throw e;
    } finally {
      await Promise.all([a.stop(), b.stop(), c?.stop()].map((p) => p?.catch(() => undefined)));
    }
  });
});
