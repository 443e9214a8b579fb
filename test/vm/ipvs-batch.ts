/**
 * Runs inside ../shared/tools/vm-run (a Debian kernel with IPVS), as root, driven by
 * test/e2e/ipvs-vm.test.ts: for each configuration case, installs our desired table through
 * src/io/ipvs.ts and reads `ipvsadm -Ln`, checks that re-applying changes nothing (no netlink
 * change) and that a changed weight is one edit leaving every other entry as it was, then runs
 * keepalived 2.2.7 (-C, checker only) on the same configuration until its table settles and reads
 * `ipvsadm -Ln` again; `ipvsadm -C` between cases. Prints one `IPVS-RESULT {json}` line per case.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config';
import type { KeepalivedConfig } from '../../src/config/model';
import { ipvsAvailable, ipvsCounters, closeIpvs, getTimeouts, setTimeouts, listSyncDaemons, ipvsInfo, readTable } from '../../src/io/ipvs';
import {
  desiredTable, initialHealth, rsId, syncTable, clearTable, applySyncd, lvsFlushSettings, syncDaemonSpec, syncdBecome, syncdShutdown, desiredTimeouts,
  type RsHealth, type TableEntry,
} from '../../src/daemon/lvs';

export interface VmCase {
  name: string;
  conf: string;
  /** real servers that do not answer (address:port as in the config); they get a TCP_CHECK that is refused */
  down?: string[];
  /** health before any check result (alpha) instead of `down` */
  initial?: boolean;
  /** for the weight-change check: "address:port" of a real server and its new weight */
  reweight?: { rs: string; weight: number };
}

export interface VmCaseResult {
  name: string;
  ours: string;
  keepalived: string;
  /** operations and netlink changes of a second application of the same table */
  reapply: { ops: number; changes: number };
  /** the table after our stop and after keepalived's SIGTERM (a foreign service was there before both) */
  afterStop: { ours: string; keepalived: string };
  /** after changing one weight: operations, netlink changes, and ipvsadm lines that differ */
  reweight?: { ops: string[]; changes: number; changedLines: string[] };
  /** tunnel attributes (type/port/flags) of tunnelled destinations, read back through our decoder */
  tun: { ours: string[]; keepalived: string[] };
  keepalivedSettleMs: number;
  errors: string[];
}

const CHECK = 'TCP_CHECK {\n connect_timeout 1\n retry 0\n delay_before_retry 1\n }';

export const CASES: VmCase[] = [
  {
    name: 'NAT',
    conf: `virtual_server 192.0.2.10 80 {\n lb_algo rr\n lb_kind NAT\n protocol TCP\n real_server 198.51.100.1 8080 {\n weight 3\n }\n real_server 198.51.100.2 {\n weight 1\n uthreshold 100\n lthreshold 10\n }\n}`,
    reweight: { rs: '198.51.100.1:8080', weight: 5 },
  },
  {
    name: 'DR',
    conf: `virtual_server 192.0.2.11 80 {\n lb_algo wlc\n lb_kind DR\n real_server 198.51.100.1 80 {\n weight 1\n }\n real_server 198.51.100.2 8080 {\n weight 2\n }\n}`,
    reweight: { rs: '198.51.100.2:8080', weight: 7 },
  },
  {
    name: 'TUN',
    conf: `virtual_server 192.0.2.12 80 {\n lb_algo lc\n lb_kind TUN\n real_server 198.51.100.1 80 {\n weight 1\n }\n real_server 198.51.100.2 80 {\n weight 1\n }\n real_server 198.51.100.3 80 {\n lvs_method TUN type gue port 6080 csum\n }\n real_server 198.51.100.4 80 {\n lvs_method TUN type gre\n }\n}`,
  },
  {
    name: 'fwmark',
    conf: `virtual_server fwmark 7 {\n lb_algo sh\n sh-port\n lb_kind DR\n real_server 198.51.100.1 80 {\n weight 1\n }\n real_server 198.51.100.2 {\n weight 2\n }\n}`,
  },
  {
    name: 'IPv6',
    conf: `virtual_server 2001:db8::10 53 {\n protocol UDP\n lb_algo rr\n lb_kind NAT\n real_server 2001:db8::1 53 {\n weight 1\n }\n real_server 2001:db8::2 5353 {\n weight 4\n }\n}\nvirtual_server fwmark 8 {\n lb_algo wrr\n lb_kind DR\n real_server 2001:db8::1 {\n weight 1\n }\n}`,
  },
  {
    name: 'SCTP',
    conf: `virtual_server 192.0.2.13 3868 {\n protocol SCTP\n lb_algo mh\n mh-fallback\n lb_kind DR\n real_server 198.51.100.1 3868 {\n weight 1\n }\n real_server 198.51.100.2 3868 {\n weight 1\n }\n}`,
  },
  {
    name: 'persistence',
    conf: `virtual_server 192.0.2.14 443 {\n lb_algo wrr\n lb_kind NAT\n persistence_timeout 600\n persistence_granularity 255.255.255.0\n real_server 198.51.100.1 443 {\n weight 1\n }\n}\nvirtual_server 2001:db8::14 443 {\n lb_algo rr\n lb_kind DR\n persistence_timeout 120\n persistence_granularity 64\n real_server 2001:db8::1 443 {\n weight 1\n }\n}\nvirtual_server 192.0.2.14 80 {\n lb_algo rr\n persistence_timeout\n ops\n protocol UDP\n real_server 198.51.100.1 80 {\n weight 1\n }\n}\nvirtual_server 192.0.2.24 0 {\n protocol TCP\n lb_kind DR\n real_server 198.51.100.1 0 {\n weight 1\n }\n}\nvirtual_server 192.0.2.25 80 {\n protocol TCP\n ops\n real_server 198.51.100.1 80 {\n weight 1\n }\n}`,
  },
  {
    name: 'schedulers',
    conf: ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh']
      .map((s, i) => `virtual_server 192.0.2.${40 + i} 80 {\n lb_algo ${s}\n lb_kind DR\n real_server 198.51.100.1 80 {\n weight 2\n }\n real_server 198.51.100.2 80 {\n weight 1\n }\n}`)
      .join('\n'),
  },
  {
    name: 'virtual_server_group',
    conf: `virtual_server_group VSG {\n 192.0.2.20-22 80\n 192.0.2.30 8080\n fwmark 9\n}\nvirtual_server group VSG {\n lb_algo wrr\n lb_kind DR\n real_server 198.51.100.1 80 {\n weight 2\n }\n real_server 198.51.100.2 80 {\n weight 1\n }\n}`,
    reweight: { rs: '198.51.100.2:80', weight: 3 },
  },
  {
    name: 'sorry server and quorum',
    conf: `virtual_server 192.0.2.15 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n quorum 2\n sorry_server 198.51.100.9 80\n real_server 198.51.100.1 80 {\n weight 1\n ${CHECK}\n }\n real_server 198.51.100.2 80 {\n weight 1\n ${CHECK}\n }\n}\nvirtual_server 192.0.2.16 80 {\n delay_loop 1\n lb_algo rr\n lb_kind NAT\n quorum 1\n sorry_server 198.51.100.9 80\n sorry_server_inhibit\n real_server 198.51.100.1 80 {\n weight 1\n ${CHECK}\n }\n}\nvirtual_server 192.0.2.26 80 {\n protocol TCP\n delay_loop 1\n lb_kind NAT\n sorry_server 198.51.100.9\n real_server 198.51.100.2 {\n weight 1\n ${CHECK}\n }\n}`,
    down: ['198.51.100.2:80', '198.51.100.2:0'],
  },
  {
    name: 'inhibit_on_failure',
    conf: `virtual_server 192.0.2.17 80 {\n delay_loop 1\n lb_algo wrr\n lb_kind NAT\n real_server 198.51.100.1 80 {\n weight 2\n ${CHECK}\n }\n real_server 198.51.100.2 80 {\n weight 3\n inhibit_on_failure\n ${CHECK}\n }\n real_server 198.51.100.3 80 {\n weight 1\n ${CHECK}\n }\n}`,
    down: ['198.51.100.2:80', '198.51.100.3:80'],
  },
  {
    // a check that cannot answer for 30 s (SYN into a dummy link): until then alpha keeps the real
    // server out, while without alpha it is in from the start
    name: 'alpha',
    conf: ['192.0.2.50', '192.0.2.51'].map((vip, i) => `virtual_server ${vip} 80 {\n protocol TCP\n${i === 0 ? ' alpha\n' : ''} lb_kind DR\n real_server 198.51.100.1 80 {\n weight 1\n TCP_CHECK {\n connect_ip 198.51.100.200\n connect_timeout 30\n retry 0\n }\n }\n real_server 198.51.100.2 80 {\n weight 2\n }\n}`).join('\n'),
    initial: true,
  },
  {
    name: 'lvs_flush',
    conf: `global_defs {\n lvs_flush\n}\nvirtual_server 192.0.2.18 80 {\n protocol TCP\n real_server 198.51.100.1 80 {\n weight 1\n }\n}`,
  },
  {
    name: 'lvs_flush_on_stop',
    conf: `global_defs {\n lvs_flush_on_stop\n}\nvirtual_server 192.0.2.19 80 {\n protocol TCP\n real_server 198.51.100.1 80 {\n weight 1\n }\n}`,
  },
];

/** `ipvsadm -Ln` without its header and connection counters, services and destinations sorted. */
export function canonicalIpvsadm(text: string): string {
  const services: { head: string; dests: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (!line || line.startsWith('IP Virtual Server') || line.startsWith('Prot ') || line.startsWith('-> RemoteAddress')) continue;
    if (line.startsWith('->')) services[services.length - 1]?.dests.push(line.split(' ').slice(0, -2).join(' '));
    else services.push({ head: line, dests: [] });
  }
  return services
    .map((s) => [s.head, ...s.dests.sort().map((d) => `  ${d}`)].join('\n'))
    .sort()
    .join('\n');
}

function ipvsadm(...args: string[]): string {
  const r = spawnSync('ipvsadm', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ipvsadm ${args.join(' ')}: ${r.stderr || r.error?.message}`);
  return r.stdout;
}
const table = (): string => canonicalIpvsadm(ipvsadm('-Ln'));
/** "service -> dest type/port/flags" for every tunnelled destination, sorted */
async function tunnels(): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readTable()) {
    for (const d of e.dests) if (d.fwd === 'tunnel') out.push(`${'port' in e.service ? e.service.port : e.service.fwmark} -> ${d.address}:${d.port} ${d.tunType}/${d.tunPort ?? '-'}/${d.tunFlags ?? '-'}`);
  }
  return out.sort();
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sh(cmd: string): void {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
}

/** Health as the case says: the listed real servers are down, all others up. */
function healthOf(config: KeepalivedConfig, down: string[] = []): Map<string, RsHealth> {
  const m = new Map<string, RsHealth>();
  for (const vs of config.virtualServers) {
    for (const rs of vs.realServers) m.set(rsId(vs, rs), { up: !down.includes(`${rs.address}:${rs.port ?? 0}`) });
  }
  return m;
}

async function runKeepalived(dir: string, confPath: string, want: string): Promise<{ text: string; ms: number; afterStop: string; tun: string[] }> {
  const log: string[] = [];
  const ka: ChildProcess = spawn('/usr/sbin/keepalived', ['-n', '-l', '-C', '-f', confPath, '-p', join(dir, 'ka.pid'), '-c', join(dir, 'ka-c.pid'), '-r', join(dir, 'ka-r.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  ka.stdout?.on('data', (d: Buffer) => log.push(d.toString()));
  ka.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const t0 = Date.now();
  let text = '';
  let same = 0;
  // settled: equal to ours, or unchanged for 4 s after at least 6 s; never more than 25 s
  while (Date.now() - t0 < 25_000) {
    await sleep(500);
    const now = table();
    same = now === text && now !== '' ? same + 1 : 0;
    text = now;
    if (text === want || (same >= 8 && Date.now() - t0 > 6_000)) break;
  }
  const ms = Date.now() - t0;
  const tun = await tunnels();
  const exited = new Promise((r) => ka.once('exit', r));
  ka.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (ka.exitCode === null && ka.signalCode === null) ka.kill('SIGKILL');
  if (text !== want) process.stderr.write(`keepalived log:\n${log.join('')}\n`);
  return { text, ms, afterStop: table(), tun };
}

async function runCase(c: VmCase, dir: string): Promise<VmCaseResult> {
  const errors: string[] = [];
  const confPath = join(dir, `${c.name.replace(/\W+/g, '_')}.conf`);
  writeFileSync(confPath, `${c.conf}\n`);
  const r = parseConfig(confPath);
  for (const d of r.diagnostics) if (d.severity === 'error') errors.push(`config: ${d.message}`);
  const health = c.initial ? initialHealth(r.config) : healthOf(r.config, c.down);
  const want = desiredTable(r.config, health).entries as TableEntry[];

  // a service someone else installed: neither we nor keepalived may touch it
  const foreign = (): void => {
    ipvsadm('-C');
    ipvsadm('-A', '-t', '192.0.2.99:9', '-s', 'rr');
    ipvsadm('-a', '-t', '192.0.2.99:9', '-r', '198.51.100.99:9', '-m', '-w', '1');
  };
  foreign();
  const flush = lvsFlushSettings(r.config);
  let owned: Set<string> = new Set();
  ({ owned } = await syncTable(want, owned, { flush: flush.flushAtStart }));
  const ours = table();
  const oursTun = await tunnels();

  const before = ipvsCounters().changes;
  const again = await syncTable(want, owned);
  const reapply = { ops: again.ops.length, changes: ipvsCounters().changes - before };

  let reweight: VmCaseResult['reweight'];
  if (c.reweight) {
    const h2 = new Map(health);
    const vs = r.config.virtualServers.find((v) => v.realServers.some((x) => `${x.address}:${x.port ?? 0}` === c.reweight!.rs))!;
    const rs = vs.realServers.find((x) => `${x.address}:${x.port ?? 0}` === c.reweight!.rs)!;
    h2.set(rsId(vs, rs), { up: true, weight: c.reweight.weight });
    const c0 = ipvsCounters().changes;
    const res = await syncTable(desiredTable(r.config, h2).entries, again.owned);
    const after = table().split('\n');
    const prev = ours.split('\n');
    reweight = {
      ops: res.ops.map((o) => ('dest' in o ? `${o.op} ${o.dest.address}:${o.dest.port} ${o.dest.weight}` : o.op)),
      changes: ipvsCounters().changes - c0,
      changedLines: after.filter((l) => !prev.includes(l)).concat(prev.filter((l) => !after.includes(l))),
    };
    await clearTable(res.owned, flush.flushOnStop);
  } else {
    await clearTable(again.owned, flush.flushOnStop);
  }
  const oursAfterStop = table();
  foreign();

  const ka = await runKeepalived(dir, confPath, ours);
  ipvsadm('-C');
  return {
    name: c.name, ours, keepalived: ka.text, reapply, afterStop: { ours: oursAfterStop, keepalived: ka.afterStop },
    ...(reweight ? { reweight } : {}), tun: { ours: oursTun, keepalived: ka.tun }, keepalivedSettleMs: ka.ms, errors,
  };
}

export interface VmIoResult {
  info: { version: number; connTabSize: number };
  /** lvs_timeouts: our GET_CONFIG after applying them, `ipvsadm -L --timeout`, and after restoring the originals */
  timeouts: { ours: unknown; ipvsadm: string; restored: unknown; orig: unknown };
  /** lvs_sync_daemon: GET_DAEMON and `ipvsadm -L --daemon` with the instance MASTER, then BACKUP, then after shutdown */
  daemons: { master: unknown; ipvsadmMaster: string; backup: unknown; afterStop: unknown };
}

export const IO_CONF = `global_defs {
 lvs_sync_daemon kts0 VI_1 maxlen 1400 port 8850 ttl 2
 lvs_timeouts tcp 7200 tcpfin 60 udp 30
}
vrrp_instance VI_1 {
 interface kts0
 virtual_router_id 51
 priority 100
 virtual_ipaddress {
  192.0.2.1
 }
}`;

/** lvs_timeouts and lvs_sync_daemon from a configuration, through the production helpers and src/io/ipvs. */
async function ioChecks(dir: string): Promise<VmIoResult> {
  const confPath = join(dir, 'io.conf');
  writeFileSync(confPath, `${IO_CONF}\n`);
  const config = parseConfig(confPath).config;
  const info = await ipvsInfo();
  const orig = await getTimeouts();
  await setTimeouts(desiredTimeouts(config)!);
  const ours = await getTimeouts();
  const ipvsadmT = ipvsadm('-L', '--timeout').trim();
  await setTimeouts(orig);
  const restored = await getTimeouts();
  const spec = syncDaemonSpec(config)!;
  await applySyncd(syncdBecome('master'), spec);
  const master = await listSyncDaemons();
  const ipvsadmMaster = ipvsadm('-L', '--daemon').trim();
  await applySyncd(syncdBecome('backup'), spec);
  const backup = await listSyncDaemons();
  await applySyncd(syncdShutdown('backup'), spec);
  return { info, timeouts: { ours, ipvsadm: ipvsadmT, restored, orig }, daemons: { master, ipvsadmMaster, backup, afterStop: await listSyncDaemons() } };
}

async function main(): Promise<void> {
  const only = process.argv[2];
  if (!(await ipvsAvailable())) throw new Error('no IPVS in this kernel');
  // real servers: local addresses on a dummy link; up ones answer on TCP, down ones refuse
  sh('ip link add kts0 type dummy && ip link set kts0 up');
  for (let i = 1; i <= 9; i++) sh(`ip addr add 198.51.100.${i}/32 dev kts0`);
  sh('ip -6 addr add 2001:db8::1/128 dev kts0 nodad && ip -6 addr add 2001:db8::2/128 dev kts0 nodad');
  sh('ip route add 198.51.100.128/25 dev kts0'); // a black hole: SYNs leave on the dummy link, nothing answers
  const servers: net.Server[] = [];
  for (const addr of ['198.51.100.1', '198.51.100.9']) {
    const s = net.createServer((sock) => sock.end());
    await new Promise<void>((res, rej) => s.once('error', rej).listen(80, addr, res));
    servers.push(s);
  }
  const dir = mkdtempSync(join(tmpdir(), 'kts-ipvs-'));
  let failed = false;
  try {
    if (!only) process.stdout.write(`IPVS-IO ${JSON.stringify(await ioChecks(dir))}\n`);
    for (const c of CASES) {
      if (only && c.name !== only) continue;
      let res: VmCaseResult;
      try {
        res = await runCase(c, dir);
      } catch (e) {
        res = { name: c.name, ours: '', keepalived: '', reapply: { ops: -1, changes: -1 }, afterStop: { ours: '', keepalived: '' }, tun: { ours: [], keepalived: [] }, keepalivedSettleMs: 0, errors: [String((e as Error).stack ?? e)] };
      }
      if (res.errors.length || res.ours !== res.keepalived || res.afterStop.ours !== res.afterStop.keepalived || res.tun.ours.join() !== res.tun.keepalived.join()) failed = true;
      process.stdout.write(`IPVS-RESULT ${JSON.stringify(res)}\n`);
    }
  } finally {
    for (const s of servers) s.close();
    closeIpvs();
    rmSync(dir, { recursive: true, force: true });
  }
  process.exitCode = failed ? 1 : 0;
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`ipvs-batch: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 2;
  });
}
