/**
 * NOT IN THE SUITE YET: run by hand with `vm-run -- node dist/test/vm/lvs-daemon-batch.js pair`. Alone it
 * passed (2026-12-01: VIP on the BACKUP, a new connection served, the established connection echoed 31
 * times before the kill and 89 after, master/backup sync daemons running); inside the full batch the
 * client's connection never got an answer in 3 runs (cause not found) — so no test asserts it.
 *
 * A two-director LVS pair inside the VM: namespaces
 * d1 (MASTER, prio 100) and d2 (BACKUP, prio 90) each run keepalived-ts with one VRRP instance holding
 * the front VIP 192.0.2.100 and the real server's gateway 198.51.100.1, lvs_sync_daemon on the front
 * link, and a NAT virtual server 192.0.2.100:80 → 198.51.100.11:8080 (a TCP echo server in namespace
 * pr1). A client in namespace pcl opens ONE connection through the VIP and sends a line every 100 ms.
 * Then d1's daemon is killed with SIGKILL and d1 is cut from both links (the node is gone): measured
 * whether d2 holds the VIP, whether d2's IPVS serves a new connection, and whether the established
 * connection kept echoing (lvs_sync_daemon gave d2 its IPVS connection entry).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PairResult {
  /** the BACKUP holds the VIP after the MASTER died */
  vipOnBackup: boolean;
  /** a new connection through the VIP after failover is answered (by d2's IPVS) */
  newConnection: string;
  /** echoes on the established connection before and after the kill */
  echoesBefore: number;
  echoesAfter: number;
  /** d2's IPVS connection entries after the failover (the synced one included) */
  syncedConns: string;
  /** `ipvsadm -L --daemon` in d1 and d2 before the kill */
  syncDaemons: string;
  errors: string[];
}

function sh(cmd: string): string {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  return r.stdout;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const ECHO_JS = `require('node:net').createServer((s) => s.pipe(s)).listen(8080, process.argv[2]);`;
const CLIENT_JS = `
const net = require('node:net');
const s = net.connect(80, '192.0.2.100');
let n = 0;
s.on('data', (d) => { for (const l of d.toString().split('\\n')) if (l) console.log('ECHO ' + l); });
s.on('error', (e) => console.log('ERROR ' + e.message));
s.on('close', () => console.log('CLOSED'));
setInterval(() => s.write((n++) + '\\n'), 100);
`;

function conf(state: 'MASTER' | 'BACKUP', prio: number): string {
  return `global_defs {
  router_id ${state.toLowerCase()}
  lvs_sync_daemon eth0 VI_1
}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  virtual_router_id 61
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    192.0.2.100/24 dev eth0
    198.51.100.1/24 dev eth1
  }
}
virtual_server 192.0.2.100 80 {
  delay_loop 2
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 198.51.100.11 8080 {
    weight 1
    TCP_CHECK {
      connect_timeout 2
    }
  }
}
`;
}

function topology(): void {
  sh('ip link add pfront type bridge && ip link set pfront up && ip link add pback type bridge && ip link set pback up');
  const ns = (n: string, bridge: string, ifname: string, addr: string): void => {
    sh(`ip link add ${n}${ifname} type veth peer name ${ifname} netns ${n} && ip link set ${n}${ifname} master ${bridge} && ip link set ${n}${ifname} up`);
    sh(`ip -n ${n} addr add ${addr} dev ${ifname} && ip -n ${n} link set ${ifname} up && ip -n ${n} link set lo up`);
  };
  for (const n of ['d1', 'd2', 'pcl', 'pr1']) sh(`ip netns add ${n}`);
  ns('d1', 'pfront', 'eth0', '192.0.2.11/24');
  ns('d1', 'pback', 'eth1', '198.51.100.21/24');
  ns('d2', 'pfront', 'eth0', '192.0.2.12/24');
  ns('d2', 'pback', 'eth1', '198.51.100.22/24');
  ns('pcl', 'pfront', 'eth0', '192.0.2.2/24');
  ns('pr1', 'pback', 'eth0', '198.51.100.11/24');
  sh('ip -n pr1 route add default via 198.51.100.1');
  for (const d of ['d1', 'd2']) sh(`ip netns exec ${d} sysctl -qw net.ipv4.ip_forward=1`);
}

export async function pairRun(root: string, dir: string): Promise<PairResult> {
  const res: PairResult = { vipOnBackup: false, newConnection: '', echoesBefore: 0, echoesAfter: 0, syncedConns: '', syncDaemons: '', errors: [] };
  const procs: ChildProcess[] = [];
  const logs: string[] = [];
  const start = (argv: string[], label: string): ChildProcess => {
    const p = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KTS_ACTOR_HANG_MS: '3000' } });
    p.stdout?.on('data', (d: Buffer) => logs.push(`${label}: ${d.toString()}`));
    p.stderr?.on('data', (d: Buffer) => logs.push(`${label}: ${d.toString()}`));
    procs.push(p);
    return p;
  };
  try {
    topology();
    writeFileSync(join(dir, 'echo.js'), ECHO_JS);
    writeFileSync(join(dir, 'client.js'), CLIENT_JS);
    start(['ip', 'netns', 'exec', 'pr1', process.execPath, join(dir, 'echo.js'), '198.51.100.11'], 'echo');
    const daemons: ChildProcess[] = [];
    for (const [d, state, prio] of [['d1', 'MASTER', 100], ['d2', 'BACKUP', 90]] as const) {
      writeFileSync(join(dir, `${d}.conf`), conf(state, prio));
      daemons.push(start(['ip', 'netns', 'exec', d, process.execPath, join(root, 'bin', 'keepalived-ts'), '-n', '-l', '-f', join(dir, `${d}.conf`),
        '-p', join(dir, `${d}.pid`), '--control-socket', join(dir, `${d}.sock`)], d));
    }
    const t0 = Date.now();
    while (Date.now() - t0 < 60_000 && !/198\.51\.100\.11:8080/.test(sh('ip netns exec d1 ipvsadm -Ln'))) await sleep(500);
    while (Date.now() - t0 < 60_000 && !sh('ip -n d1 -br addr show eth0').includes('192.0.2.100')) await sleep(500);
    while (Date.now() - t0 < 60_000 && !/198\.51\.100\.11:8080/.test(sh('ip netns exec d2 ipvsadm -Ln'))) await sleep(500);
    // both started as candidates: wait until d1 holds the VIP and d2 gave it back, then the client
    // resolves the VIP afresh (an entry learned from d2's brief MASTER would point at d2)
    while (Date.now() - t0 < 60_000 && sh('ip -n d2 -br addr show eth0').includes('192.0.2.100')) await sleep(500);
    await sleep(2000);
    sh('ip -n pcl neigh flush all');
    const client = start(['ip', 'netns', 'exec', 'pcl', process.execPath, join(dir, 'client.js')], 'client');
    const echoes = (): number => logs.filter((l) => l.startsWith('client: ')).join('').split('\n').filter((l) => l.includes('ECHO ')).length;
    const c0 = Date.now();
    while (Date.now() - c0 < 30_000 && echoes() < 10) await sleep(200); // node starts slowly in the emulated VM
    await sleep(2000); // the sync daemon sends the connection to d2
    res.echoesBefore = echoes();
    if (res.echoesBefore === 0) throw new Error('the client connection never echoed');
    res.syncDaemons = `d1: ${sh('ip netns exec d1 ipvsadm -L --daemon').trim()} | d2: ${sh('ip netns exec d2 ipvsadm -L --daemon').trim()}`;
    const d1 = daemons[0]!;
    d1.kill('SIGKILL');
    sh('ip netns pids d1 | xargs -r kill -9 || true');
    sh('ip -n d1 link set eth0 down && ip -n d1 link set eth1 down');
    const k = Date.now();
    while (Date.now() - k < 20_000 && !sh('ip -n d2 -br addr show eth0').includes('192.0.2.100')) await sleep(200);
    res.vipOnBackup = sh('ip -n d2 -br addr show eth0').includes('192.0.2.100');
    const n0 = echoes();
    await sleep(6000);
    res.echoesAfter = echoes() - n0;
    res.syncedConns = sh('ip netns exec d2 ipvsadm -Lnc');
    const clientLog = logs.filter((l) => l.startsWith('client: ')).join('');
    if (/CLOSED|ERROR/.test(clientLog)) res.errors.push(`the established connection broke: ${clientLog.split('\n').filter((l) => /CLOSED|ERROR/.test(l)).join(' | ')}`);
    const once = "const s=require('node:net').connect(80,'192.0.2.100',()=>s.write('hello\\n'));s.on('data',(d)=>{process.stdout.write(d);s.destroy()});s.on('error',(e)=>console.log('error '+e.message));setTimeout(()=>process.exit(0),5000).unref()";
    const r = spawnSync('ip', ['netns', 'exec', 'pcl', process.execPath, '-e', once], { encoding: 'utf8', timeout: 15_000 });
    res.newConnection = r.stdout.trim();
    client.kill('SIGKILL');
  } catch (e) {
    res.errors.push(String((e as Error).message));
  }
  if (res.errors.length || !res.vipOnBackup || res.echoesAfter === 0) res.errors.push(`log: ${logs.join('').slice(-3000)}`);
  for (const p of procs) p.kill('SIGKILL');
  for (const n of ['d1', 'd2', 'pcl', 'pr1']) spawnSync('sh', ['-c', `ip netns pids ${n} | xargs -r kill -9; ip netns del ${n}`]);
  return res;
}
