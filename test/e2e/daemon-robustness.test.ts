/**
 * The daemon under abuse: malformed VRRP datagrams from a third host (RFC 3768 §7.1 / RFC 5798 §7.1
 * receive checks: each dropped and counted by reason, nothing changes), and a VRRP actor that
 * crashes or hangs while it is MASTER (the supervisor restarts it from its snapshot: the VIP never
 * leaves, the adverts continue, no BACKUP — ours or the real keepalived — ever takes over).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withLab, type Host, type Lab } from '../helpers/lab';
import { request } from '../../src/supervisor';
import { startKeepalived, startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { dumpLogs } from '../helpers/e2e';
import { actorOf, adverts, dropsByReason, dumpState, instanceOf, sleep, until, watchAddress, type DumpedState } from '../helpers/bench-daemon';
import { encodeVrrp } from '../../src/protocol/vrrp';
import { mulberry32, testSeed } from '../helpers/prng';
import { sendRawVrrp } from '../helpers/raw-vrrp';

const VIP = '192.0.2.100';
const GROUP = '224.0.0.18';

/**
 * The random datagrams come from a seeded PRNG (mulberry32), so a failing run can be replayed: the
 * test prints its seed (and every assertion message about them names it); rerun with TEST_SEED=<seed>.
 */
function seededBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

const totalDrops = (s: DumpedState): number => Object.values(dropsByReason(s)).reduce((a, b) => a + b, 0);

test('RFC 3768 §7.1 receive checks: malformed adverts from a third host are dropped and counted per reason; 200 random datagrams change nothing', { timeout: 60_000 }, async (t) => {
  await withLab({ hosts: 3, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
    const [h1, h2, h3] = lab.hosts;
    const a = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`] }));
    const b = startKeepalivedTs(h2!, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] }));
    try {
      await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
      await until('h1 MASTER', async () => instanceOf(await dumpState(a), 'VI_1').state === 'MASTER', 5_000);
      const ctx = { family: 4 as const, src: h3!.ip4, dst: GROUP };
      // Every malformed advert claims priority 254: were one accepted, the MASTER would step down.
      const good = { version: 2 as const, vrid: 51, priority: 254, addresses: [VIP], adverInt: 1, authType: 1, authPass: 'secret1' };
      const withChecksum = (buf: Buffer): Buffer => {
        buf.writeUInt16BE(0, 6);
        let sum = 0;
        for (let i = 0; i < buf.length; i += 2) sum += (buf[i]! << 8) + (buf[i + 1] ?? 0);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
        buf.writeUInt16BE(~sum & 0xffff, 6);
        return buf;
      };
      const cases: Record<string, { ttl: number; payload: Buffer }> = {
        'bad-version': { ttl: 255, payload: withChecksum(Buffer.from(encodeVrrp(good, ctx)).fill(0x41, 0, 1)) },
        'bad-type': { ttl: 255, payload: withChecksum(Buffer.from(encodeVrrp(good, ctx)).fill(0x22, 0, 1)) },
        'bad-length': { ttl: 255, payload: withChecksum(Buffer.concat([encodeVrrp(good, ctx), Buffer.alloc(4)])) },
        'bad-checksum': { ttl: 255, payload: (() => { const x = encodeVrrp(good, ctx); x[7] ^= 0x55; return x; })() },
        'bad-ttl': { ttl: 64, payload: encodeVrrp(good, ctx) },
        'auth-mismatch': { ttl: 255, payload: encodeVrrp({ ...good, authPass: 'wrong!!' }, ctx) },
        'unknown-vrid': { ttl: 255, payload: encodeVrrp({ ...good, vrid: 77 }, ctx) },
        'interval-mismatch': { ttl: 255, payload: encodeVrrp({ ...good, adverInt: 2 }, ctx) },
        'addr-mismatch': { ttl: 255, payload: encodeVrrp({ ...good, addresses: ['192.0.2.199'] }, ctx) },
      };
      const cap = await lab.capture('vrrp');
      const before = await Promise.all([dumpState(a), dumpState(b)]);
      await sendRawVrrp(h3!, Object.values(cases));
      // every daemon on the LAN receives the multicast datagrams: each counts one drop per reason
      const mid = await Promise.all([a, b].map((d, k) => until(`${d.host.name} counted 9 drops`, async () => {
        const s = await dumpState(d);
        return totalDrops(s) - totalDrops(before[k]!) >= 9 ? s : null;
      }, 5_000)));
      for (const [k, s] of mid.entries()) {
        const got = dropsByReason(s);
        const was = dropsByReason(before[k]!);
        const delta = Object.fromEntries(Object.keys(cases).map((r) => [r, (got[r] ?? 0) - (was[r] ?? 0)]));
        assert.deepEqual(delta, Object.fromEntries(Object.keys(cases).map((r) => [r, 1])), `h${k + 1} drops by reason`);
        assert.equal(totalDrops(s) - totalDrops(before[k]!), 9, `h${k + 1}: ${JSON.stringify(got)}`);
        assert.equal(s.daemon.counters.rxDropped - before[k]!.daemon.counters.rxDropped, 9);
        // the MASTER hears no genuine adverts, so nothing may have been accepted; the BACKUP keeps
        // accepting the MASTER's own adverts (1/s), so it is checked by state and master instead
        if (k === 0) assert.equal(instanceOf(s, 'VI_1').counters.rxAccepted, instanceOf(before[k]!, 'VI_1').counters.rxAccepted);
        else assert.deepEqual([instanceOf(s, 'VI_1').state, instanceOf(s, 'VI_1').master], [instanceOf(before[k]!, 'VI_1').state, instanceOf(before[k]!, 'VI_1').master]);
      }

      // 200 datagrams of seeded random bytes (0..80 bytes), TTL 255
      const seed = testSeed(t);
      const rand = mulberry32(seed);
      const junk = Array.from({ length: 200 }, () => ({ ttl: 255, payload: seededBytes(rand, Math.floor(rand() * 81)) }));
      const seedNote = `random datagrams from TEST_SEED=${seed}`;
      await sendRawVrrp(h3!, junk);
      const end = await Promise.all([a, b].map((d, k) => until(`${d.host.name} counted 209 drops (${seedNote})`, async () => {
        const s = await dumpState(d);
        return totalDrops(s) - totalDrops(before[k]!) >= 209 ? s : null;
      }, 5_000)));
      await sleep(500);
      const frames = await cap.stop();
      for (const [k, s] of end.entries()) {
        assert.equal(totalDrops(s) - totalDrops(before[k]!), 209, `h${k + 1}: ${JSON.stringify(dropsByReason(s))} (${seedNote})`);
        assert.equal(actorOf(s, 'vrrp:VI_1').restarts, 0, seedNote);
        assert.equal(s.stats.faults, 0, seedNote);
      }
      assert.equal(instanceOf(end[0]!, 'VI_1').state, 'MASTER', seedNote);
      assert.equal(instanceOf(end[1]!, 'VI_1').state, 'BACKUP', seedNote);
      assert.equal(await h1!.hasAddress(VIP), true, seedNote);
      assert.equal(await h2!.hasAddress(VIP), false, seedNote);
      assert.deepEqual(adverts(frames, { src: h2!.ip4 }), [], `the BACKUP advertised (${seedNote})`);
      assert.deepEqual(adverts(frames, { src: h1!.ip4 }).filter((x) => x.priority !== 100), [], `the MASTER changed priority (${seedNote})`);
      assert.ok(a.proc.running() && b.proc.running(), `a daemon died (${seedNote})`);
    } catch (e) {
      dumpLogs([a, b], 60);
      throw e;
    } finally {
      await Promise.all([a.stop(), b.stop()].map((p) => p.catch(() => undefined)));
    }
  });
});

async function inject(d: DaemonHandle, fault: 'crash' | 'hang'): Promise<void> {
  // the request format of src/supervisor/control.ts
  const resp = await request(d.controlSocket, { cmd: 'fault-inject', actor: 'vrrp:VI_1', fault });
  assert.equal(resp.ok, true, `fault-inject ${fault}: ${JSON.stringify(resp)}`);
}

/** A ts MASTER with fault injection, a ts BACKUP and a keepalived 2.2.7 BACKUP on one LAN. */
async function withTrio(t: { signal: AbortSignal }, body: (x: { lab: Lab; h: Host[]; master: DaemonHandle; peers: DaemonHandle[] }) => Promise<void>): Promise<void> {
  await withLab({ hosts: 3, signal: t.signal, timeoutMs: 110_000 }, async (lab) => {
    const [h1, h2, h3] = lab.hosts;
    const master = startKeepalivedTs(h1!, vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`] }), { args: ['--enable-fault-injection'] });
    const peers = [
      startKeepalivedTs(h2!, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] })),
      startKeepalived(h3!, vrrpConfig({ state: 'BACKUP', priority: 80, vips: [`${VIP}/24`] })),
    ];
    try {
      await h1!.waitForAddress(VIP, { timeoutMs: 10_000 });
      await until('h1 MASTER', async () => instanceOf(await dumpState(master), 'VI_1').state === 'MASTER', 5_000);
      await peers[1]!.waitForLog(/Entering BACKUP STATE/, 5_000);
      await body({ lab, h: [h1!, h2!, h3!], master, peers });
    } catch (e) {
      dumpLogs([master, ...peers], 60);
      throw e;
    } finally {
      await Promise.all([master, ...peers].map((d) => d.stop().catch(() => undefined)));
    }
  });
}

test('a MASTER whose VRRP actor crashes 20 times keeps its VIP and adverts: neither a keepalived-ts nor a keepalived BACKUP takes over', { timeout: 120_000 }, async (t) => {
  await withTrio(t, async ({ lab, h, master }) => {
    const cap = await lab.capture('vrrp');
    const w = watchAddress(h[0]!, VIP);
    for (let n = 1; n <= 20; n++) {
      await inject(master, 'crash');
      await until(`restart ${n}`, async () => {
        const a = actorOf(await dumpState(master), 'vrrp:VI_1');
        return a.restarts >= n && a.state === 'running';
      }, 5_000, 20);
      await sleep(150);
    }
    await sleep(4_000); // a full master-down interval after the last crash
    const r = await w.stop();
    const frames = await cap.stop();
    const s = await dumpState(master);
    const act = actorOf(s, 'vrrp:VI_1');
    assert.equal(act.restarts, 20);
    assert.equal(act.state, 'running');
    assert.ok(act.lastError, 'the last crash is reported');
    assert.equal(instanceOf(s, 'VI_1').state, 'MASTER');
    assert.equal(r.absent, 0, `VIP missing from the master in ${r.absent}/${r.samples} samples`);
    assert.deepEqual(adverts(frames, { src: h[1]!.ip4 }), [], 'keepalived-ts BACKUP advertised');
    assert.deepEqual(adverts(frames, { src: h[2]!.ip4 }), [], 'keepalived BACKUP advertised');
    const mine = adverts(frames, { src: h[0]!.ip4 });
    assert.deepEqual(mine.filter((x) => x.priority !== 100), [], 'the master sent a priority other than 100');
    const gaps = mine.slice(1).map((x, i) => (x.tsUs - mine[i]!.tsUs) / 1000);
    assert.ok(Math.max(...gaps) < 2_000, `advert gap ${Math.max(...gaps)} ms`);
    assert.equal(await h[1]!.hasAddress(VIP), false);
    assert.equal(await h[2]!.hasAddress(VIP), false);
  });
});

test('a hung VRRP actor host is terminated by the watchdog and its actor resumes as MASTER: no BACKUP takes over', { timeout: 120_000 }, async (t) => {
  await withTrio(t, async ({ lab, h, master }) => {
    const cap = await lab.capture('vrrp');
    const w = watchAddress(h[0]!, VIP);
    const before = await dumpState(master);
    for (let n = 1; n <= 3; n++) {
      await inject(master, 'hang');
      await until(`recovery ${n}`, async () => {
        const s = await dumpState(master);
        const a = actorOf(s, 'vrrp:VI_1');
        return s.stats.hostsTerminated >= before.stats.hostsTerminated + n && a.state === 'running';
      }, 5_000, 20);
      await sleep(1_000);
    }
    await sleep(4_000);
    const r = await w.stop();
    const frames = await cap.stop();
    const s = await dumpState(master);
    assert.equal(s.stats.hostsTerminated - before.stats.hostsTerminated, 3);
    assert.equal(actorOf(s, 'vrrp:VI_1').restarts, 3);
    assert.equal(instanceOf(s, 'VI_1').state, 'MASTER');
    assert.equal(r.absent, 0, `VIP missing from the master in ${r.absent}/${r.samples} samples`);
    assert.deepEqual(adverts(frames, { src: h[1]!.ip4 }), [], 'keepalived-ts BACKUP advertised');
    assert.deepEqual(adverts(frames, { src: h[2]!.ip4 }), [], 'keepalived BACKUP advertised');
    const mine = adverts(frames, { src: h[0]!.ip4 });
    const gaps = mine.slice(1).map((x, i) => (x.tsUs - mine[i]!.tsUs) / 1000);
    assert.ok(Math.max(...gaps) < 2_000, `advert gap ${Math.max(...gaps)} ms`);
  });
});

test('an actor that keeps crashing past its restart limit (100 in 60 s) is given up: the MASTER sends priority 0 and releases the VIP, the BACKUP takes over cleanly', { timeout: 120_000 }, async (t) => {
  await withTrio(t, async ({ lab, h, master }) => {
    const cap = await lab.capture('vrrp');
    const state = async (): Promise<DumpedState> => {
      const r = await request(master.controlSocket, { cmd: 'dump-state' });
      assert.ok(r.ok);
      return r.data as DumpedState;
    };
    let n = 0;
    for (;;) {
      const a = actorOf(await state(), 'vrrp:VI_1');
      if (a.state === 'fault') break;
      if (a.state === 'running' && a.restarts === n) {
        await inject(master, 'crash');
        n++;
      } else await sleep(5);
      assert.ok(n <= 101, `still restarting after ${n} crashes`);
    }
    assert.equal(n, 101, 'given up on the 101st crash');
    const t0 = Date.now();
    await h[0]!.waitForAddress(VIP, { present: false, timeoutMs: 2_000 });
    await h[1]!.waitForAddress(VIP, { timeoutMs: 3_000 }); // priority 0: the BACKUP waits only its skew time
    const took = Date.now() - t0;
    await sleep(500);
    const frames = await cap.stop();
    const s = await state();
    assert.equal(instanceOf(s, 'VI_1').state, 'FAULT');
    assert.equal(instanceOf(s, 'VI_1').vipsHeld, false);
    assert.ok(adverts(frames, { src: h[0]!.ip4 }).some((x) => x.priority === 0), 'no priority 0 advert from the given-up MASTER');
    assert.ok(took < 2_500, `BACKUP took ${took} ms`);
    assert.equal(await h[2]!.hasAddress(VIP), false);
    assert.match(master.logs().join('\n'), /gave up after 100 restarts/);
  });
});
