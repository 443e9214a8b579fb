/**
 * Runs inside ../shared/tools/vm-run (a kernel with IPVS), as root, driven by
 * test/e2e/lvs-daemon-vm.test.ts: the whole daemon, ours then keepalived 2.2.7, on one config —
 * a director (the VM's root namespace) with a VRRP instance holding VIP 192.0.2.100 towards a
 * client namespace and a NAT virtual server over two real servers in their own namespaces, each an
 * HTTP server whose behaviour a mode file switches (up, refuse, drop). Per daemon:
 *   - the settled `ipvsadm -Ln` (sorted, no counters);
 *   - what the client gets through the VIP;
 *   - the time until a refused, then a dropped, real server leaves the table, and until it is back;
 *   - a reload that changes one real server's weight: the table lines that changed;
 *   - `ipvsadm -L --timeout` before start, after start and after the reload (lvs_timeouts), after SIGTERM;
 *   - the table after SIGTERM.
 * Prints one `LVS-DAEMON {json}` line per daemon, then runs the two-director pair (lvs-pair.ts) and
 * prints its `LVS-PAIR {json}` line. `… lvs-daemon-batch.js pair [keepalived]` runs the pair alone.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { canonicalIpvsadm } from './ipvs-batch';
import { pairRun } from './lvs-pair';

export interface DaemonRun {
  kind: 'keepalived-ts' | 'keepalived';
  table: string;
  /** bodies the client got through the VIP (one per request) */
  client: string[];
  refusedMs: number;
  refusedBackMs: number;
  droppedMs: number;
  droppedBackMs: number;
  /** lines of the table that differ before / after the reload (weight of 198.51.100.12 2 → 3) */
  reloadChanged: string[];
  /** keepalived-ts: IPVS operations the reload sent (its --dump-state counter), -1 for keepalived */
  reloadOps: number;
  afterStop: string;
  /** `ipvsadm -L --timeout` before start, after start (lvs_timeouts tcp 7200 tcpfin 60), after the reload (tcp 3600) and after stop */
  timeouts: string[];
  errors: string[];
}

/** delay_loop + retry × (connect_timeout + delay_before_retry) + 2 s */
export const BOUND_MS = (2 + 1 * (2 + 1) + 2) * 1000;

export function config(rs2Weight: number, tcpTimeout: number): string {
  const check = 'HTTP_GET {\n      url {\n        path /\n        status_code 200\n      }\n      connect_timeout 2\n      retry 1\n      delay_before_retry 1\n    }';
  return `global_defs {
  router_id vm-director
  lvs_timeouts tcp ${tcpTimeout} tcpfin 60
}
vrrp_instance VI_1 {
  state MASTER
  interface dirc
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24
  }
}
virtual_server 192.0.2.100 80 {
  delay_loop 2
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.11 8080 {
    weight 1
    ${check}
  }
  real_server 198.51.100.12 8080 {
    weight ${rs2Weight}
    ${check}
  }
}
`;
}

const SERVER_JS = `
const http = require('node:http');
const fs = require('node:fs');
const [, , addr, name, modeFile] = process.argv;
const sockets = new Set();
let mode = 'closed';
const srv = http.createServer((req, res) => { if (mode === 'up') res.end(name); });
srv.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
function apply() {
  let want = 'up';
  try { want = fs.readFileSync(modeFile, 'utf8').trim() || 'up'; } catch {}
  if (want === mode) return;
  const listening = mode === 'up' || mode === 'drop';
  mode = want;
  if (want === 'refuse') { if (listening) srv.close(); for (const k of sockets) k.destroy(); }
  else if (!listening) srv.listen(8080, addr);
}
apply();
setInterval(apply, 50);
`;

function sh(cmd: string): string {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const table = (): string => canonicalIpvsadm(sh('ipvsadm -Ln'));
const timeouts = (): string => sh('ipvsadm -L --timeout').trim();

function topology(): void {
  sh('sysctl -qw net.ipv4.ip_forward=1');
  sh('ip netns add cli && ip link add dirc type veth peer name eth0 netns cli');
  sh('ip addr add 192.0.2.1/24 dev dirc && ip link set dirc up');
  sh('ip -n cli addr add 192.0.2.2/24 dev eth0 && ip -n cli link set eth0 up && ip -n cli link set lo up');
  sh('ip link add brrs type bridge && ip addr add 198.51.100.1/24 dev brrs && ip link set brrs up');
  for (const [n, a] of [['rs1', '198.51.100.11'], ['rs2', '198.51.100.12']] as const) {
    sh(`ip netns add ${n} && ip link add ${n}p type veth peer name eth0 netns ${n} && ip link set ${n}p master brrs && ip link set ${n}p up`);
    sh(`ip -n ${n} addr add ${a}/24 dev eth0 && ip -n ${n} link set eth0 up && ip -n ${n} link set lo up && ip -n ${n} route add default via 198.51.100.1`);
  }
}

async function until(what: string, fn: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (fn()) return Date.now() - t0;
    await sleep(100);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

function clientGet(): string {
  const r = spawnSync('ip', ['netns', 'exec', 'cli', 'curl', '-s', '-m', '3', 'http://192.0.2.100/'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : `error ${r.status}`;
}

const has = (addr: string): boolean => table().includes(`-> ${addr}:8080 Masq`);

async function runDaemon(kind: DaemonRun['kind'], dir: string, root: string, modes: Record<string, string>): Promise<DaemonRun> {
  const errors: string[] = [];
  const conf = join(dir, `${kind}.conf`);
  writeFileSync(conf, config(2, 7200));
  const setMode = (rs: string, m: string): void => writeFileSync(modes[rs]!, m);
  const argv = kind === 'keepalived'
    ? ['/usr/sbin/keepalived', '-n', '-l', '-f', conf, '-p', join(dir, 'ka.pid'), '-c', join(dir, 'ka-c.pid'), '-r', join(dir, 'ka-r.pid')]
    : [process.execPath, join(root, 'bin', 'keepalived-ts'), '-n', '-l', '-f', conf, '-p', join(dir, 'kts.pid'), '--control-socket', join(dir, 'kts.sock')];
  const log: string[] = [];
  const p: ChildProcess = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KTS_ACTOR_HANG_MS: '3000' } });
  p.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  p.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const run: DaemonRun = { kind, table: '', client: [], refusedMs: -1, refusedBackMs: -1, droppedMs: -1, droppedBackMs: -1, reloadChanged: [], reloadOps: -1, afterStop: '', timeouts: [timeouts()], errors };
  const ipvsOps = (): number => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'keepalived-ts'), '--dump-state', '--control-socket', join(dir, 'kts.sock'), '--format', 'json'], { encoding: 'utf8' });
    return (JSON.parse(r.stdout) as { data: { lvs: { counters: { ipvsOps: number } } } }).data.lvs.counters.ipvsOps;
  };
  try {
    await until('both real servers in the table', () => has('198.51.100.11') && has('198.51.100.12'), 60_000);
    await sleep(3000);
    run.table = table();
    run.timeouts.push(timeouts());
    await until('the VIP on the director', () => sh('ip -br addr show dirc').includes('192.0.2.100'), 30_000);
    for (let i = 0; i < 4; i++) run.client.push(clientGet());
    if (run.client.some((c) => c.startsWith('error'))) errors.push(`client failed; dirc: ${sh('ip -br addr show dirc')}; conns: ${sh('ipvsadm -Lnc')}`);
    let t0 = Date.now();
    setMode('rs1', 'refuse');
    await until('refused rs1 removed', () => !has('198.51.100.11'), 4 * BOUND_MS);
    run.refusedMs = Date.now() - t0;
    t0 = Date.now();
    setMode('rs1', 'up');
    await until('rs1 back', () => has('198.51.100.11'), 4 * BOUND_MS);
    run.refusedBackMs = Date.now() - t0;
    t0 = Date.now();
    setMode('rs1', 'drop');
    await until('dropped rs1 removed', () => !has('198.51.100.11'), 4 * BOUND_MS);
    run.droppedMs = Date.now() - t0;
    t0 = Date.now();
    setMode('rs1', 'up');
    await until('rs1 back after drop', () => has('198.51.100.11'), 4 * BOUND_MS);
    run.droppedBackMs = Date.now() - t0;
    await sleep(1000);
    const before = table().split('\n');
    const ops0 = kind === 'keepalived-ts' ? ipvsOps() : 0;
    writeFileSync(conf, config(3, 3600));
    p.kill('SIGHUP');
    await until('reload applied', () => table().includes('-> 198.51.100.12:8080 Masq 3'), 30_000);
    await sleep(4000);
    const after = table().split('\n');
    run.timeouts.push(timeouts());
    if (kind === 'keepalived-ts') run.reloadOps = ipvsOps() - ops0;
    run.reloadChanged = after.filter((l) => !before.includes(l)).concat(before.filter((l) => !after.includes(l)));
  } catch (e) {
    errors.push(String((e as Error).message));
    errors.push(`table: ${table()}`);
    errors.push(`log: ${log.join('').slice(-3000)}`);
  }
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await sleep(500);
  run.afterStop = table();
  run.timeouts.push(timeouts());
  return run;
}

async function main(): Promise<void> {
  const root = resolve(__dirname, '../../..');
  const dir = mkdtempSync(join(tmpdir(), 'kts-lvsd-'));
  writeFileSync(join(dir, 'server.js'), SERVER_JS);
  topology();
  const modes: Record<string, string> = { rs1: join(dir, 'rs1.mode'), rs2: join(dir, 'rs2.mode') };
  const servers: ChildProcess[] = [];
  for (const [n, a] of [['rs1', '198.51.100.11'], ['rs2', '198.51.100.12']] as const) {
    writeFileSync(modes[n]!, 'up');
    servers.push(spawn('ip', ['netns', 'exec', n, process.execPath, join(dir, 'server.js'), a, n, modes[n]!], { stdio: 'ignore' }));
  }
  let failed = false;
  const only = process.argv[2];
  try {
    // `pair [keepalived]`: the two-director scenario alone, with our daemon or keepalived 2.2.7
    const daemons = only === 'pair' ? [] : (['keepalived-ts', 'keepalived'] as const);
    for (const kind of daemons) {
      sh('ipvsadm -C');
      for (const m of Object.values(modes)) writeFileSync(m, 'up');
      const r = await runDaemon(kind, dir, root, modes);
      if (r.errors.length) failed = true;
      process.stdout.write(`LVS-DAEMON ${JSON.stringify(r)}\n`);
    }
    const t0 = Date.now();
    const pair = await pairRun(root, dir, only === 'pair' && process.argv[3] === 'keepalived' ? 'keepalived' : 'keepalived-ts');
    if (pair.errors.length) failed = true;
    process.stdout.write(`LVS-PAIR ${JSON.stringify(pair)}\n`);
    process.stderr.write(`lvs-daemon-batch: the pair took ${Date.now() - t0} ms\n`);
  } finally {
    for (const s of servers) s.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`lvs-daemon-batch: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  });
}
