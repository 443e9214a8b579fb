/**
 * keepalived's signals sent to a running keepalived-ts, as monitoring tools send them
 * (`kill -s $(keepalived --signum=JSON) $(cat /run/keepalived.pid)`): DATA, STATS, STATS_CLEAR and
 * JSON write keepalived's dump files in keepalived 2.2.7's layouts (captured live from the real
 * keepalived in the same two-node lab), real-time signals never kill the daemon, and signals sent
 * from the moment the pid file exists neither kill it nor open Node's inspector.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withLab, makeTempDir, type Host } from '../helpers/lab';
import { startKeepalived, startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../helpers/keepalived';
import { withDaemons } from '../helpers/e2e';
import { sleep, until } from '../helpers/bench-daemon';

const VIP = '192.0.2.100';
const master = (): string => vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${VIP}/24`] });
const backup = (): string => vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${VIP}/24`] });

/** The text before ` = ` or `:` of each line; a line with neither is keyed by its first two words. Numbers read as '#'. */
function lineKeys(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((l) => {
      const cuts = [l.indexOf(' = '), l.indexOf(':')].filter((i) => i >= 0);
      const k = cuts.length ? l.slice(0, Math.min(...cuts)) : l.split(/\s+/).slice(0, 2).join(' ');
      return k.replace(/-?\d+/g, '#').trim();
    });
}

/** Keys of `theirs` that do not appear in `ours` in the same order (a subsequence check). */
function missingInOrder(theirs: string[], ours: string[]): string[] {
  const missing: string[] = [];
  let at = 0;
  for (const k of theirs) {
    const i = ours.indexOf(k, at);
    if (i < 0) missing.push(k);
    else at = i + 1;
  }
  return missing;
}

function typeOf(v: unknown): string {
  return Array.isArray(v) ? `array<${v.length ? typeof v[0] : ''}>` : v === null ? 'null' : typeof v;
}

/** Sends `signo` and polls for `file` (removed first) every 2 ms; resolves with the delay in ms, or -1. */
async function signalAndWait(pid: number, signo: number, file: string, limitMs: number): Promise<number> {
  fs.rmSync(file, { force: true });
  const t0 = process.hrtime.bigint();
  process.kill(pid, signo);
  for (;;) {
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (fs.existsSync(file)) return ms;
    if (ms > limitMs) return -1;
    await sleep(2);
  }
}

interface Dumps {
  data: string;
  stats: string;
  json: unknown;
}

const DUMPS = [[10, 'keepalived.data'], [12, 'keepalived.stats'], [36, 'keepalived.json']] as const;

/** Sends DATA, STATS and JSON to `pid` (files in `dir`) and reads the three files. */
async function takeDumps(pid: number, dir: string, limitMs: number): Promise<Dumps> {
  for (const [sig, name] of DUMPS) {
    assert.ok((await signalAndWait(pid, sig, path.join(dir, name), limitMs)) >= 0, `${name} written within ${limitMs} ms`);
    await sleep(100); // keepalived's parent forwards the signal to its VRRP child, which then writes
  }
  const read = (n: string): string => fs.readFileSync(path.join(dir, n), 'utf8');
  return { data: read('keepalived.data'), stats: read('keepalived.stats'), json: JSON.parse(read('keepalived.json')) };
}

/** keepalived 2.2.7 on h1 with `cfg1` (TMPDIR=dir), its peer on h2 with `cfg2`; its three files once `settled` resolves. */
async function keepalivedDumps(h1: Host, h2: Host, cfg1: string, cfg2: string, settled: () => Promise<unknown>): Promise<Dumps> {
  const dir = makeTempDir('kts-sig-k-');
  return withDaemons(async (keep) => {
    const k = keep(startKeepalived(h1, cfg1, { env: { ...process.env, TMPDIR: dir } }));
    keep(startKeepalived(h2, cfg2, { env: { ...process.env, TMPDIR: makeTempDir('kts-sig-b-') } }));
    await settled();
    return takeDumps(k.pid, dir, 2000);
  });
}

/** Every line key keepalived wrote is in ours in the same order; the JSON has its keys, order and value types. */
function assertLayouts(theirs: Dumps, ours: Dumps): void {
  assert.deepEqual(missingInOrder(lineKeys(theirs.data), lineKeys(ours.data)), [], `keepalived.data keys missing or out of order; ours:\n${ours.data}`);
  assert.deepEqual(lineKeys(ours.stats), lineKeys(theirs.stats), `keepalived.stats; ours:\n${ours.stats}`);
  const tj = theirs.json as Record<string, Record<string, unknown>>[];
  const oj = ours.json as Record<string, Record<string, unknown>>[];
  assert.equal(oj.length, tj.length);
  for (const part of ['data', 'stats'] as const) {
    const a = tj[0]![part]!;
    const b = oj[0]![part]!;
    assert.deepEqual(missingInOrder(Object.keys(a), Object.keys(b)), [], `keepalived.json ${part} keys; ours: ${JSON.stringify(b)}`);
    for (const k of Object.keys(a)) assert.equal(typeOf(b[k]), typeOf(a[k]), `keepalived.json ${part}.${k} type`);
  }
}

test('DATA, STATS, STATS_CLEAR and JSON (and 34, 36, 63 by number) leave a MASTER alive and MASTER; each file appears within 100 ms in keepalived 2.2.7\'s layout', async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 90_000 }, async (lab) => {
    const [h1, h2] = lab.hosts as [Host, Host];
    const theirs = await keepalivedDumps(h1, h2, master(), backup(), () => h1.waitForAddress(VIP, { timeoutMs: 15_000 }));
    await h1.waitForAddress(VIP, { present: false, timeoutMs: 5000 });

    const dir = makeTempDir('kts-sig-t-');
    await withDaemons(async (keep) => {
      const ours: DaemonHandle = keep(startKeepalivedTs(h1, master(), { env: { TMPDIR: dir } }));
      keep(startKeepalived(h2, backup(), { env: { ...process.env, TMPDIR: makeTempDir('kts-sig-b-') } }));
      await h1.waitForAddress(VIP, { timeoutMs: 15_000 });
      const file = (n: string): string => path.join(dir, n);
      const delays: Record<string, number> = {};
      for (const [sig, name] of [[10, 'keepalived.data'], [12, 'keepalived.stats'], [63, 'keepalived.stats'], [36, 'keepalived.json']] as const) {
        delays[`${sig}`] = await signalAndWait(ours.pid, sig, file(name), 100);
      }
      for (const [sig, ms] of Object.entries(delays)) assert.ok(ms >= 0 && ms <= 100, `signal ${sig}: file written after ${ms} ms (limit 100)`);
      process.kill(ours.pid, 34); // SIGRTMIN: not in keepalived's table, which ignores it
      await sleep(300);
      assert.ok(ours.proc.running(), 'alive after DATA, STATS, STATS_CLEAR, JSON and 34');
      assert.ok(await h1.hasAddress(VIP), 'still holds the VIP');
      assert.ok((await signalAndWait(ours.pid, 36, file('keepalived.json'), 100)) >= 0);
      const json = JSON.parse(fs.readFileSync(file('keepalived.json'), 'utf8')) as { data: { state: number } }[];
      assert.equal(json[0]?.data.state, 2, 'keepalived.json says MASTER (2)');
      const logs = ours.logs().join('\n');
      for (const line of ['Printing VRRP data for process', 'Printing VRRP stats for process', 'Printing and clearing VRRP stats for process', 'Printing VRRP as json for process']) {
        assert.ok(logs.includes(line), `logs "${line}"`);
      }

      // the layouts: every line key keepalived writes appears in ours, in the same order
      assertLayouts(theirs, await takeDumps(ours.pid, dir, 100));
    });
  });
});

test("a BACKUP's dumps (VRRPv3, unicast, track_interface) have keepalived 2.2.7's layout too", async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 90_000 }, async (lab) => {
    const [h1, h2] = lab.hosts as [Host, Host];
    const spare = (await h1.addVethSpare('track0')).name;
    const cfg = (state: 'MASTER' | 'BACKUP', priority: number, self: Host, peer: Host): string => vrrpConfig({
      state, priority, version: 3, advertInt: 0.5, vips: [`${VIP}/24`], unicastSrc: self.ip4, unicastPeers: [peer.ip4],
      extraInstance: self === h1 ? ['track_interface {', `  ${spare} weight -10`, '}'] : [],
    });
    const backupSettled = async (): Promise<void> => {
      await h2.waitForAddress(VIP, { timeoutMs: 15_000 });
      await sleep(1000); // h1 has heard the MASTER's adverts
    };
    const theirs = await keepalivedDumps(h1, h2, cfg('BACKUP', 90, h1, h2), cfg('MASTER', 100, h2, h1), backupSettled);
    assert.match(theirs.data, /^ {3}State = BACKUP$/m);
    await h2.waitForAddress(VIP, { present: false, timeoutMs: 5000 });
    const dir = makeTempDir('kts-sig-t-');
    await withDaemons(async (keep) => {
      const ours = keep(startKeepalivedTs(h1, cfg('BACKUP', 90, h1, h2), { env: { TMPDIR: dir } }));
      keep(startKeepalived(h2, cfg('MASTER', 100, h2, h1), { env: { ...process.env, TMPDIR: makeTempDir('kts-sig-b-') } }));
      await backupSettled();
      const mine = await takeDumps(ours.pid, dir, 100);
      assert.match(mine.data, /^ {3}State = BACKUP$/m);
      assertLayouts(theirs, mine);
    });
  });
});

test('STATS_CLEAR: the stats file shows the counters, then the next dump starts again from zero', async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 60_000 }, async (lab) => {
    const h1 = lab.hosts[0]!;
    const dir = makeTempDir('kts-sig-c-');
    await withDaemons(async (keep) => {
      const ours = keep(startKeepalivedTs(h1, master(), { env: { TMPDIR: dir } }));
      await h1.waitForAddress(VIP, { timeoutMs: 15_000 });
      await sleep(1200);
      const sent = (): number => Number(/Sent: (\d+)/.exec(fs.readFileSync(path.join(dir, 'keepalived.stats'), 'utf8'))?.[1]);
      assert.ok((await signalAndWait(ours.pid, 63, path.join(dir, 'keepalived.stats'), 100)) >= 0);
      const before = sent();
      assert.ok(before >= 2, `adverts sent before the clear: ${before}`);
      assert.ok((await signalAndWait(ours.pid, 12, path.join(dir, 'keepalived.stats'), 100)) >= 0);
      assert.ok(sent() < before, `after STATS_CLEAR the count restarts: ${sent()} < ${before}`);
    });
  });
});

test('SIGUSR1, SIGUSR2 and SIGHUP every 5 ms from the moment the pid file exists until readiness never kill the daemon and never open a listening port', async (t) => {
  await withLab({ hosts: 1, signal: t.signal, timeoutMs: 60_000 }, async (lab) => {
    const h1 = lab.hosts[0]!;
    const dir = makeTempDir('kts-sig-s-');
    await withDaemons(async (keep) => {
      const d = keep(startKeepalivedTs(h1, master(), { env: { TMPDIR: dir } }));
      await until('pid file', () => fs.existsSync(d.pidFile) || !d.proc.running(), 10_000, 1);
      const sigs: NodeJS.Signals[] = ['SIGUSR1', 'SIGUSR2', 'SIGHUP'];
      let sent = 0;
      let storming = true;
      const storm = setInterval(() => {
        if (storming && d.proc.running()) d.proc.kill(sigs[sent++ % 3]);
      }, 5);
      const listening: string[] = [];
      try {
        // readiness: the control socket listens (the daemon's last start-up step)
        await until('readiness', async () => {
          const ss = await h1.exec(['ss', '-Hltnu']);
          if (ss.stdout.trim()) listening.push(ss.stdout.trim());
          return fs.existsSync(d.controlSocket) || !d.proc.running();
        }, 15_000, 20);
        await sleep(100);
      } finally {
        storming = false;
        clearInterval(storm);
      }
      assert.ok(d.proc.running(), `alive after ${sent} signals: ${d.logs().slice(-5).join('\n')}`);
      assert.ok(sent >= 10, `signals sent during start-up: ${sent}`);
      assert.deepEqual(listening, [], 'no listening TCP/UDP port (Node\'s inspector listens on 127.0.0.1:9229)');
      assert.ok(!d.logs().some((l) => /Debugger listening/.test(l)), 'no inspector');
      await h1.waitForAddress(VIP, { timeoutMs: 15_000 }); // and it goes on to become MASTER
      assert.equal((await h1.exec(['ss', '-Hltnu'])).stdout.trim(), '');
    });
  });
});
