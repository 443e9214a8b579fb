/**
 * Checker bench on the host (no IPVS: the weights land in --dump-state): `node dist/bench/checkers.js
 * [--servers 1000] [--steady 20]` (root; namespaces). Progress to stderr, a Markdown table to stdout.
 *
 * One lab host runs one keepalived-ts with a VRRPv3 instance (advert_int 0.1, MASTER alone) and, in
 * the "checkers" run, `--servers` real servers (127.0.x.y:8080, 100 per virtual server) each with an
 * HTTP_GET at delay_loop 1 s (retry 0), all answered by ONE local HTTP server process. Measured:
 *   - CPU % and RSS of the daemon (all its threads) over the steady window (bench/measure.ts);
 *   - VRRP advert jitter from the bridge capture, as bench/failover.ts measures adverts: stdev of
 *     the intervals and p99 |interval − advert_int|, with and without the checkers;
 *   - check-result latency: the server starts answering 500 at t0; for each real server, the time
 *     until --dump-state shows it down (polled every 100 ms through the control socket), p50/p99/max
 *     — at delay_loop 1 s a check starts within 1 s of t0, so ≤ 1 s + the check + the reporting path.
 */
import { writeFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { withLab, type Host } from '../test/helpers/lab';
import { startKeepalivedTs, vrrpConfig, type DaemonHandle } from '../test/helpers/keepalived';
import { adverts, sleep, until } from '../test/helpers/bench-daemon';
import { request } from '../src/supervisor';
import { procUsage, daemonPids, advertJitter, quantile, type Jitter } from './measure';

const VIP = '192.0.2.100';
const ADVERT_INT = 0.1;

const log = (s: string): void => {
  process.stderr.write(`[checkers] ${s}\n`);
};

interface Args { servers: number; steadyS: number; profDir: string | null }

function args(): Args {
  const a = process.argv.slice(2);
  let servers = 1000;
  let steadyS = 20;
  let profDir: string | null = null;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--servers') servers = Number(a[++i]);
    else if (a[i] === '--steady') steadyS = Number(a[++i]);
    else if (a[i] === '--cpu-prof-dir') profDir = a[++i] ?? null;
    else throw new Error(`unknown argument ${a[i]} (usage: checkers.js [--servers N] [--steady S] [--cpu-prof-dir DIR])`);
  }
  return { servers, steadyS, profDir };
}

const SERVER_JS = `
const http = require('node:http');
const fs = require('node:fs');
let status = 200;
setInterval(() => { try { status = Number(fs.readFileSync(process.argv[2], 'utf8')) || 200; } catch {} }, 10);
http.createServer((req, res) => { res.statusCode = status; res.end('ok'); }).listen(8080, '0.0.0.0', () => console.log('LISTENING'));
`;

/** `--cpu-prof-dir`: Node 20 refuses --cpu-prof in NODE_OPTIONS, so a preloaded hook profiles each thread. */
const PROF_JS = `
const inspector = require('node:inspector');
const { threadId } = require('node:worker_threads');
const s = new inspector.Session();
s.connect();
s.post('Profiler.enable');
s.post('Profiler.setSamplingInterval', { interval: 250 });
s.post('Profiler.start');
process.on('exit', () => s.post('Profiler.stop', (err, r) => {
  if (!err) require('node:fs').writeFileSync(process.env.KTS_PROF_DIR + '/' + process.pid + '-' + threadId + '.cpuprofile', JSON.stringify(r.profile));
}));
`;

const rsAddr = (i: number): string => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

function config(servers: number): string {
  const base = vrrpConfig({ state: 'MASTER', priority: 100, version: 3, advertInt: ADVERT_INT, vips: [`${VIP}/24`] });
  const vss: string[] = [];
  for (let v = 0; v * 100 < servers; v++) {
    const rs: string[] = [];
    for (let i = v * 100; i < Math.min(servers, (v + 1) * 100); i++) {
      rs.push(`  real_server ${rsAddr(i)} 8080 {\n    weight 1\n    HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 2\n      retry 0\n    }\n  }`);
    }
    vss.push(`virtual_server 192.0.2.${200 + v} 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n${rs.join('\n')}\n}`);
  }
  return `${base}\n${vss.join('\n')}\n`;
}

interface Result { cpu: number; mainCpu: number; rssMb: number; jitter: Jitter; latencies: number[] }

/** Every thread of the daemon: name, nice value, CPU ns (to see where the time goes). */
function threads(pid: number): { tid: string; comm: string; nice: number; ns: number }[] {
  const out: { tid: string; comm: string; nice: number; ns: number }[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        out.push({ tid, comm, nice: Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[16]), ns });
      } catch { /* exited */ }
    }
  } catch { /* exited */ }
  return out;
}

/** CPU time (ns) of the daemon's main thread alone: the thread that sends adverts (load distorts it less than wall-clock jitter). */
function mainThreadNs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

interface LvsRs { id: string; up: boolean }
async function realServers(d: DaemonHandle): Promise<LvsRs[]> {
  const r = await request(d.controlSocket, { cmd: 'dump-state' }, 10_000);
  return ((r as { data?: { lvs?: { realServers?: LvsRs[] } } }).data?.lvs?.realServers) ?? [];
}

async function oneRun(servers: number, steadyS: number, dir: string, profDir: string | null): Promise<Result> {
  return withLab({ hosts: 1, timeoutMs: 120_000 + steadyS * 2000 }, async (lab) => {
    const h = lab.hosts[0] as Host;
    const statusFile = join(dir, 'status');
    writeFileSync(statusFile, '200');
    // the real servers stand in for other machines: their one process runs at the lowest priority
    const srv = servers > 0 ? h.spawn(['nice', '-n', '19', process.execPath, join(dir, 'server.js'), statusFile], { label: 'http' }) : null;
    if (srv) await srv.waitForOutput(/LISTENING/, 5000);
    let env: NodeJS.ProcessEnv | undefined;
    if (profDir) {
      const out = join(profDir, String(servers));
      mkdirSync(out, { recursive: true });
      writeFileSync(join(profDir, 'hook.js'), PROF_JS);
      env = { NODE_OPTIONS: `--require=${join(profDir, 'hook.js')}`, KTS_PROF_DIR: out };
    }
    const d = startKeepalivedTs(h, servers > 0 ? config(servers) : vrrpConfig({ state: 'MASTER', priority: 100, version: 3, advertInt: ADVERT_INT, vips: [`${VIP}/24`] }), env ? { env } : {});
    try {
      await h.waitForAddress(VIP, { timeoutMs: 20_000 });
      if (servers > 0) {
        await until('every checker ran', async () => (await realServers(d)).length === servers, 60_000, 500);
        await sleep(3000); // the first round of checks (spread over delay_loop) is done
      } else await sleep(1000);
      const cap = await lab.capture('vrrp');
      const pids = daemonPids(d);
      const u0 = procUsage(pids);
      const m0 = mainThreadNs(d.pid);
      const th0 = new Map(threads(d.pid).map((t) => [t.tid, t.ns]));
      const t0 = process.hrtime.bigint();
      await sleep(steadyS * 1000);
      const u1 = procUsage(pids);
      const m1 = mainThreadNs(d.pid);
      const busy = threads(d.pid).map((t) => ({ ...t, ms: (t.ns - (th0.get(t.tid) ?? 0)) / 1e6 })).filter((t) => t.ms > 10).sort((a, b) => b.ms - a.ms);
      log(`threads over the window (CPU ms, nice): ${busy.map((t) => `${t.tid === String(d.pid) ? 'main' : t.comm}/${t.tid} ${t.ms.toFixed(0)} n${t.nice}`).join(', ')}`);
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      const frames = await cap.stop();
      const jitter = advertJitter(adverts(frames, { src: h.ip4 }).map((a) => a.tsUs), ADVERT_INT * 1000);
      const latencies: number[] = [];
      if (servers > 0) {
        const seen = new Map<string, number>();
        const start = Date.now();
        writeFileSync(statusFile, '500');
        while (seen.size < servers && Date.now() - start < 15_000) {
          const now = Date.now();
          for (const r of await realServers(d)) if (!r.up && !seen.has(r.id)) seen.set(r.id, now - start);
          await sleep(100);
        }
        latencies.push(...seen.values());
        if (seen.size < servers) log(`only ${seen.size}/${servers} real servers seen down within 15 s`);
      }
      return { cpu: ((u1.cpuNs - u0.cpuNs) / 1e9 / secs) * 100, mainCpu: ((m1 - m0) / 1e9 / secs) * 100, rssMb: u1.rssKb / 1024, jitter, latencies };
    } finally {
      await d.stop().catch(() => undefined);
    }
  });
}

async function main(): Promise<void> {
  const { servers, steadyS, profDir } = args();
  const dir = mkdtempSync(join(tmpdir(), 'kts-bench-checkers-'));
  writeFileSync(join(dir, 'server.js'), SERVER_JS);
  try {
    const rows: string[] = [];
    const jitter: Record<string, number> = {};
    for (const n of [0, servers]) {
      log(`run with ${n} real servers, ${steadyS} s steady window`);
      const r = await oneRun(n, steadyS, dir, profDir);
      jitter[n] = r.jitter.p99AbsDevMs;
      const lat = r.latencies.length ? `${quantile(r.latencies, 0.5)} / ${quantile(r.latencies, 0.99)} / ${Math.max(...r.latencies)} (${r.latencies.length})` : 'n/a';
      rows.push(`| ${n} | ${r.cpu.toFixed(1)} | ${r.mainCpu.toFixed(1)} | ${r.rssMb.toFixed(1)} | ${r.jitter.n} | ${r.jitter.meanMs.toFixed(2)} / ${r.jitter.stdevMs.toFixed(2)} | ${r.jitter.p99AbsDevMs.toFixed(2)} | ${lat} |`);
      log(rows.at(-1)!);
    }
    const diff = jitter[servers]! - jitter[0]!;
    process.stdout.write([
      `Checkers next to VRRP (VRRPv3 advert_int ${ADVERT_INT}), ${new Date().toISOString().slice(0, 10)}: HTTP_GET at delay_loop 1 s against one local HTTP server, ${steadyS} s steady window.`,
      '',
      `Machine load (1-min average) at the end: ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores.`,
      '',
      '| real servers | CPU % | main thread CPU % | RSS MB | adverts | interval mean / stdev ms | p99 \\|interval − advert_int\\| ms | check-result latency p50 / p99 / max ms (n) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `- p99 jitter with checkers ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} ms against without: goal (at most 1 ms worse; a lower figure is the baseline's own noise) ${diff <= 1 ? 'met' : 'NOT met'}`,
      '',
    ].join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`checkers bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
