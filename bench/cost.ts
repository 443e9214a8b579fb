/**
 * Cost bench, keepalived-ts next to keepalived 2.2.7 in one run: `node dist/bench/cost.js [--instances 1,100,255] [--secs 10]`
 * [--settle 30] [--node-flags "--no-opt …"] (root; namespaces). Per instance count and daemon kind: a fresh two-host lab, a MASTER (prio 100)
 * and a BACKUP (prio 90) with N VRRPv2 instances at advert_int 1 (VRIDs 1..N, one VIP each from
 * 198.51.100.0/24 and 192.0.2.0/24), steady for `secs`: CPU % of one core and RSS (all processes
 * of the daemon), and the advert jitter of instance 1 (bench/measure.ts). Markdown to stdout.
 */
import { withLab, type Host } from '../test/helpers/lab';
import { startKeepalived, startKeepalivedTs, type DaemonHandle } from '../test/helpers/keepalived';
import { adverts, sleep } from '../test/helpers/bench-daemon';
import { advertJitter, procUsage, daemonPids, threadCpu, rssSplit, type Jitter, type ThreadCpu, type RssSplit } from './measure';

type Kind = 'keepalived-ts' | 'keepalived';
interface Row { kind: Kind; n: number; cpuMaster: number; cpuBackup: number; rssMaster: number; rssBackup: number; jitter: Jitter; threads: [ThreadCpu, ThreadCpu]; secs: number; split: [RssSplit, RssSplit] }

const log = (s: string): void => {
  process.stderr.write(`[cost] ${s}\n`);
};

/** VI_i's VIP: 198.51.100.1-200, then 192.0.2.101-155 (the lab's hosts are 192.0.2.11, .12) */
function vip(i: number): string {
  return i <= 200 ? `198.51.100.${i}/24` : `192.0.2.${100 + i - 200}/24`;
}

function config(n: number, state: 'MASTER' | 'BACKUP', priority: number): string {
  const l = ['global_defs {', '  vrrp_version 2', '}', ''];
  for (let i = 1; i <= n; i++) {
    l.push(`vrrp_instance VI_${i} {`, `  state ${state}`, '  interface eth0', `  virtual_router_id ${i}`, `  priority ${priority}`, '  advert_int 1',
      '  authentication {', '    auth_type PASS', '    auth_pass secret1', '  }', '  virtual_ipaddress {', `    ${vip(i)}`, '  }', '}', '');
  }
  return l.join('\n');
}

function start(kind: Kind, h: Host, text: string, nodeFlags: string[]): DaemonHandle {
  return kind === 'keepalived' ? startKeepalived(h, text) : startKeepalivedTs(h, text, { nodeFlags });
}

async function oneRun(kind: Kind, n: number, secs: number, settleS: number, nodeFlags: string[]): Promise<Row> {
  return withLab({ hosts: 2, timeoutMs: 120_000 + (secs + settleS) * 1000 }, async (lab) => {
    const [h1, h2] = lab.hosts as [Host, Host];
    const a = start(kind, h1, config(n, 'MASTER', 100), nodeFlags);
    const b = start(kind, h2, config(n, 'BACKUP', 90), nodeFlags);
    try {
      await h1.waitForAddress(vip(n).split('/')[0]!, { timeoutMs: 30_000 });
      await sleep(settleS * 1000); // takeover GARP blocks (garp_master_delay 5 s) over, start-up compilation settled
      const cap = await lab.capture('vrrp');
      const pa = daemonPids(a);
      const pb = daemonPids(b);
      const u0 = [procUsage(pa), procUsage(pb)];
      const th0 = [threadCpu(pa), threadCpu(pb)];
      const t0 = process.hrtime.bigint();
      await sleep(secs * 1000);
      const u1 = [procUsage(pa), procUsage(pb)];
      const th1 = [threadCpu(pa), threadCpu(pb)];
      const split: [RssSplit, RssSplit] = [rssSplit(pa), rssSplit(pb)];
      const dt = (k: number): ThreadCpu => ({ mainNs: th1[k]!.mainNs - th0[k]!.mainNs, hostsNs: th1[k]!.hostsNs - th0[k]!.hostsNs, otherNs: th1[k]!.otherNs - th0[k]!.otherNs });
      const el = Number(process.hrtime.bigint() - t0) / 1e9;
      const frames = await cap.stop();
      const cpu = (k: number): number => ((u1[k]!.cpuNs - u0[k]!.cpuNs) / 1e9 / el) * 100;
      const mine = adverts(frames, { src: h1.ip4, vrid: 1 });
      return {
        kind, n, cpuMaster: cpu(0), cpuBackup: cpu(1), rssMaster: u1[0]!.rssKb / 1024, rssBackup: u1[1]!.rssKb / 1024, jitter: advertJitter(mine.map((x) => x.tsUs), 1000),
        threads: [dt(0), dt(1)], secs: el, split,
      };
    } finally {
      await Promise.all([a.stop(), b.stop()].map((p) => p.catch(() => undefined)));
    }
  });
}

function args(): { instances: number[]; secs: number; settleS: number; nodeFlags: string[] } {
  const a = process.argv.slice(2);
  let instances = [1, 100, 255];
  let secs = 10;
  let settleS = 30;
  let nodeFlags: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--instances') instances = a[++i]!.split(',').map(Number);
    else if (a[i] === '--secs') secs = Number(a[++i]);
    else if (a[i] === '--settle') settleS = Number(a[++i]);
    else if (a[i] === '--node-flags') nodeFlags = a[++i]!.split(' ').filter(Boolean);
    else throw new Error(`unknown argument ${a[i]} (usage: cost.js [--instances 1,100,255] [--secs 10] [--settle 30] [--node-flags "--no-opt ..."])`);
  }
  return { instances, secs, settleS, nodeFlags };
}

async function main(): Promise<void> {
  const { instances, secs, settleS, nodeFlags } = args();
  const rows: Row[] = [];
  for (const n of instances) {
    for (const kind of ['keepalived-ts', 'keepalived'] as Kind[]) {
      const r = await oneRun(kind, n, secs, settleS, nodeFlags);
      log(`${n} × ${kind}: CPU ${r.cpuMaster.toFixed(2)} / ${r.cpuBackup.toFixed(2)} %, RSS ${r.rssMaster.toFixed(1)} / ${r.rssBackup.toFixed(1)} MB`);
      rows.push(r);
    }
  }
  process.stdout.write([
    `Idle cost, ${new Date().toISOString().slice(0, 10)}, ${secs} s steady from ${settleS} s after the VIPs were up${nodeFlags.length ? `, keepalived-ts run as node ${nodeFlags.join(' ')}` : ''}, VRRPv2 advert_int 1; CPU % of one core and RSS MB summed over the daemon's processes; jitter of VI_1's adverts (bench/measure.ts).`,
    '',
    '| instances | daemon | CPU % master / backup | RSS MB master / backup | jitter p99 / stdev ms |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.n} | ${r.kind} | ${r.cpuMaster.toFixed(2)} / ${r.cpuBackup.toFixed(2)} | ${r.rssMaster.toFixed(1)} / ${r.rssBackup.toFixed(1)} | ${r.jitter.p99AbsDevMs.toFixed(2)} / ${r.jitter.stdevMs.toFixed(2)} |`),
    '',
    'Where it goes: CPU % of one core by thread (main thread of each process / actor hosts, threads kts-* / the rest: V8 GC and compiler tasks, libuv pool) and RSS MB by page kind (the executable\'s own pages, shared by every process running it / other files: libraries, addons / anonymous: heaps, stacks), MASTER | BACKUP.',
    '',
    '| instances | daemon | CPU % main / hosts / other | RSS MB executable / other files / anonymous |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => {
      const c = (t: ThreadCpu): string => [t.mainNs, t.hostsNs, t.otherNs].map((ns) => ((ns / 1e9 / r.secs) * 100).toFixed(2)).join(' / ');
      const m = (x: RssSplit): string => [x.exeKb, x.fileKb, x.anonKb].map((kb) => (kb / 1024).toFixed(1)).join(' / ');
      return `| ${r.n} | ${r.kind} | ${c(r.threads[0])} \\| ${c(r.threads[1])} | ${m(r.split[0])} \\| ${m(r.split[1])} |`;
    }),
    '',
  ].join('\n'));
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`cost bench failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
