/**
 * Continuity bench (issue 13), keepalived-ts next to keepalived 2.2.7 in one run:
 * `node dist/bench/continuity.js [--intervals 1,0.1,0.01] [--crashes 20] [--hangs 5] [--hang-ms 5000] [--keepalived-crashes 3] [--keepalived-hangs 1]`
 * (root; namespaces). Progress to stderr, a Markdown table to stdout.
 *
 * Per advert_int (VRRPv2 at 1 s, VRRPv3 below), a fresh two-host lab: the MASTER (prio 100) on h1, a
 * keepalived 2.2.7 BACKUP (prio 80) on h2, VIP 192.0.2.100, the bridge captured throughout.
 *   - keepalived-ts MASTER: its VRRP actor is crashed `crashes` times and hung `hangs` times for
 *     `hang-ms` each (control verb fault-inject; `--enable-fault-injection`);
 *   - keepalived MASTER, the same faults where keepalived has them: its VRRP child process is killed
 *     (SIGKILL; keepalived's parent respawns it) and stopped for `hang-ms` (SIGSTOP … SIGCONT). Each
 *     fault waits until the MASTER holds the VIP again and has advertised for 3 intervals.
 * From the capture: the MASTER's advert gaps (max, and how many exceed advert_int + 20 ms and the
 * BACKUP's master-down interval 3 × advert_int + (256 − 80)/256 × advert_int), the BACKUP's adverts,
 * and (from its log) how often it entered MASTER state.
 */
import { readFileSync } from 'node:fs';
import { withLab, type Host } from '../test/helpers/lab';
import { startKeepalived, startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../test/helpers/keepalived';
import { actorOf, adverts, dumpState, instanceOf, sleep, until } from '../test/helpers/bench-daemon';
import { request } from '../src/supervisor';

type Kind = 'keepalived-ts' | 'keepalived';
const VIP = '192.0.2.100';

interface Opts { intervals: number[]; crashes: number; hangs: number; hangMs: number; kaCrashes: number; kaHangs: number }
interface Row {
  kind: Kind; advertInt: number; crashes: number; hangs: number; adverts: number; maxGapMs: number;
  overTight: number; overDown: number; backupAdverts: number; backupMaster: number; deputy: string;
}

const log = (s: string): void => {
  process.stderr.write(`[continuity] ${s}\n`);
};

function parseArgs(): Opts {
  const o: Opts = { intervals: [1, 0.1, 0.01], crashes: 20, hangs: 5, hangMs: 5_000, kaCrashes: 3, kaHangs: 1 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const v = a[i + 1];
    switch (a[i]) {
      case '--intervals': o.intervals = v!.split(',').map(Number); i++; break;
      case '--crashes': o.crashes = Number(v); i++; break;
      case '--hangs': o.hangs = Number(v); i++; break;
      case '--hang-ms': o.hangMs = Number(v); i++; break;
      case '--keepalived-crashes': o.kaCrashes = Number(v); i++; break;
      case '--keepalived-hangs': o.kaHangs = Number(v); i++; break;
      default: throw new Error(`unknown argument ${a[i]} (see the header of bench/continuity.ts)`);
    }
  }
  if (o.intervals.some((x) => !(x >= 0.01))) throw new Error('--intervals: advert_int values ≥ 0.01');
  return o;
}

/** keepalived-ts: crash or hang the VRRP actor and wait until it runs again. */
async function tsFault(d: DaemonHandle, fault: 'crash' | 'hang', hangMs: number): Promise<void> {
  const before = actorOf(await dumpState(d), 'vrrp:VI_1').restarts;
  const t0 = Date.now();
  const resp = await request(d.controlSocket, { cmd: 'fault-inject', actor: 'vrrp:VI_1', fault });
  if (!resp.ok) throw new Error(`fault-inject ${fault}: ${JSON.stringify(resp)}`);
  await until(`vrrp:VI_1 running after ${fault}`, async () => {
    const a = actorOf(await dumpState(d), 'vrrp:VI_1');
    return a.restarts > before && a.state === 'running';
  }, 15_000, 50);
  if (fault === 'hang') await sleep(Math.max(0, hangMs - (Date.now() - t0)));
}

/** keepalived: SIGKILL (respawned by its parent) or SIGSTOP/SIGCONT of the VRRP child. */
async function kaFault(d: DaemonHandle, h: Host, fault: 'crash' | 'hang', hangMs: number, intMs: number): Promise<void> {
  const child = Number(readFileSync(d.vrrpPidFile, 'utf8').trim());
  if (fault === 'crash') process.kill(child, 'SIGKILL');
  else {
    process.kill(child, 'SIGSTOP');
    await sleep(hangMs);
    process.kill(child, 'SIGCONT');
  }
  // back to steady: a live VRRP child (respawned after a kill) and the VIP held again (it may have to preempt the BACKUP back)
  await until('keepalived MASTER holds the VIP again', async () => {
    const now = Number(readFileSync(d.vrrpPidFile, 'utf8').trim());
    if (fault === 'crash' && now === child) return false;
    try {
      process.kill(now, 0);
    } catch {
      return false;
    }
    return h.hasAddress(VIP);
  }, 30_000, 50);
  await sleep(Math.max(3 * intMs, 500));
}

async function oneRun(kind: Kind, advertInt: number, o: Opts): Promise<Row> {
  const version = advertInt < 1 ? 3 : 2;
  const intMs = advertInt * 1000;
  const crashes = kind === 'keepalived' ? o.kaCrashes : o.crashes;
  const hangs = kind === 'keepalived' ? o.kaHangs : o.hangs;
  return withLab({ hosts: 2, timeoutMs: 60_000 + crashes * 35_000 + hangs * (o.hangMs + 35_000) }, async (lab) => {
    const [h1, h2] = lab.hosts as [Host, Host];
    const mconf = vrrpConfig({ state: 'MASTER', priority: 100, version, advertInt, vips: [`${VIP}/24`] });
    const master = kind === 'keepalived' ? startKeepalived(h1, mconf) : startKeepalivedTs(h1, mconf, { args: ['--enable-fault-injection'] });
    const backup = startKeepalived(h2, vrrpConfig({ state: 'BACKUP', priority: 80, version, advertInt, vips: [`${VIP}/24`] }));
    try {
      await h1.waitForAddress(VIP, { timeoutMs: 15_000 });
      if (kind === 'keepalived-ts') await until('h1 MASTER', async () => instanceOf(await dumpState(master), 'VI_1').state === 'MASTER', 5_000);
      await backup.waitForLog(/Entering BACKUP STATE/, 5_000);
      await sleep(Math.max(500, 3 * intMs));
      const cap = await lab.capture('vrrp');
      const logsBefore = backup.logs().length;
      for (let n = 1; n <= crashes; n++) {
        if (kind === 'keepalived') await kaFault(master, h1, 'crash', o.hangMs, intMs);
        else await tsFault(master, 'crash', o.hangMs);
        await sleep(100);
      }
      for (let n = 1; n <= hangs; n++) {
        if (kind === 'keepalived') await kaFault(master, h1, 'hang', o.hangMs, intMs);
        else await tsFault(master, 'hang', o.hangMs);
        log(`${kind} ${advertInt} s: hang ${n}/${hangs} done`);
      }
      await sleep(Math.max(500, 2 * intMs));
      const frames = await cap.stop();
      const mine = adverts(frames, { src: h1.ip4 });
      const gaps = mine.slice(1).map((x, i) => (x.tsUs - mine[i]!.tsUs) / 1000);
      const down = 3 * intMs + ((256 - 80) / 256) * intMs;
      let deputy = 'n/a';
      if (kind === 'keepalived-ts') {
        const dep = (await dumpState(master)).daemon.deputy;
        if (dep) deputy = `${dep.adverts} / ${dep.episodes} / ${dep.maxFireLateMs.toFixed(1)}`;
      }
      return {
        kind, advertInt, crashes, hangs, adverts: mine.length, maxGapMs: gaps.length ? Math.max(...gaps) : 0,
        overTight: gaps.filter((g) => g > intMs + 20).length, overDown: gaps.filter((g) => g >= down).length,
        backupAdverts: adverts(frames, { src: h2.ip4 }).filter((x) => x.priority > 0).length,
        backupMaster: backup.logs().slice(logsBefore).filter((l) => /Entering MASTER STATE/.test(l)).length,
        deputy,
      };
    } finally {
      await Promise.all([master, backup].map((d) => d.stop().catch(() => undefined)));
    }
  });
}

async function main(): Promise<void> {
  const o = parseArgs();
  const rows: Row[] = [];
  for (const advertInt of o.intervals) {
    for (const kind of ['keepalived-ts', 'keepalived'] as Kind[]) {
      log(`${kind}, advert_int ${advertInt} s …`);
      const r = await oneRun(kind, advertInt, o);
      log(`${kind}, advert_int ${advertInt} s: max gap ${r.maxGapMs.toFixed(1)} ms, BACKUP adverts ${r.backupAdverts}, BACKUP → MASTER ${r.backupMaster}`);
      rows.push(r);
    }
  }
  const down = (i: number): string => (3 * i * 1000 + ((256 - 80) / 256) * i * 1000).toFixed(1);
  process.stdout.write([
    `Continuity of the MASTER's adverts through faults of its VRRP process/actor, next to a keepalived 2.2.7 BACKUP (prio 80), ${new Date().toISOString().slice(0, 10)}.`,
    'keepalived-ts: crash = exception in the VRRP actor, hang = its host thread blocked for the hang time; keepalived: crash = SIGKILL of its VRRP child (the parent respawns it), hang = SIGSTOP of it for the hang time.',
    '',
    '| advert_int | MASTER daemon | crashes / hangs | MASTER adverts | max gap ms | gaps > advert_int + 20 ms | gaps ≥ BACKUP master-down (ms) | BACKUP adverts | BACKUP → MASTER | deputy adverts / episodes / max timer lateness ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.advertInt} s | ${r.kind} | ${r.crashes} / ${r.hangs} | ${r.adverts} | ${r.maxGapMs.toFixed(1)} | ${r.overTight} | ${r.overDown} (${down(r.advertInt)}) | ${r.backupAdverts} | ${r.backupMaster} | ${r.deputy} |`),
    '',
  ].join('\n'));
}

if (require.main === module) main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`continuity bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
