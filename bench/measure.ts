/**
 * What the benches measure, defined once: advert jitter (issue 13) and a daemon's CPU and RSS.
 *
 * Advert jitter: the MASTER's advert intervals on the wire (bridge capture timestamps), reported as
 * p99 of |interval − advert_int| and as the standard deviation of the intervals. The LVS and
 * observability benches use this too.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { descendants, type DaemonHandle } from '../test/helpers/keepalived';

export interface Jitter { n: number; meanMs: number; p99AbsDevMs: number; stdevMs: number; maxMs: number }

export function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
}

export function stdev(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
}

/** Jitter of advert timestamps (µs, in wire order) against advert_int (ms). */
export function advertJitter(tsUs: number[], advertIntMs: number): Jitter {
  const iv = tsUs.slice(1).map((t, i) => (t - tsUs[i]!) / 1000);
  const dev = iv.map((x) => Math.abs(x - advertIntMs)).sort((a, b) => a - b);
  const p99 = dev.length ? dev[Math.min(dev.length - 1, Math.ceil(0.99 * dev.length) - 1)]! : 0;
  return { n: iv.length, meanMs: mean(iv), p99AbsDevMs: p99, stdevMs: stdev(iv), maxMs: iv.length ? Math.max(...iv) : 0 };
}

const PAGE_KB = 4;

/** Each thread of `pid` with its CPU time so far (ns, /proc/PID/task/TID/schedstat). Throws once the process is gone. */
function eachThread(pid: number, fn: (tid: number, cpuNs: number) => void): void {
  for (const tid of readdirSync(`/proc/${pid}/task`)) fn(Number(tid), Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
}

/** CPU time (ns, every thread) and RSS kB, summed over pids. */
export function procUsage(pids: number[]): { cpuNs: number; rssKb: number } {
  let cpuNs = 0;
  let rssKb = 0;
  for (const p of pids) {
    try {
      eachThread(p, (_tid, ns) => {
        cpuNs += ns;
      });
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      rssKb += Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[21]) * PAGE_KB;
    } catch {
      /* exited */
    }
  }
  return { cpuNs, rssKb };
}

/** CPU time (ns) by thread group: the process's main thread, threads named kts-* (actor hosts, src/supervisor/host-worker.ts), and the rest (V8's GC and compiler tasks, libuv's pool). */
export interface ThreadCpu { mainNs: number; hostsNs: number; otherNs: number }

export function threadCpu(pids: number[]): ThreadCpu {
  const r: ThreadCpu = { mainNs: 0, hostsNs: 0, otherNs: 0 };
  for (const p of pids) {
    try {
      eachThread(p, (tid, ns) => {
        if (tid === p) r.mainNs += ns;
        else if (readFileSync(`/proc/${p}/task/${tid}/comm`, 'utf8').startsWith('kts-')) r.hostsNs += ns;
        else r.otherNs += ns;
      });
    } catch {
      /* exited */
    }
  }
  return r;
}

/**
 * RSS kB split by what the pages are (/proc/PID/smaps), summed over pids: pages of the program's own
 * executable (/usr/bin/node, /usr/sbin/keepalived: file-backed, shared with every process running it,
 * yet counted in each RSS), other files (libraries, addons), and anonymous memory (heaps, stacks).
 */
export interface RssSplit { exeKb: number; fileKb: number; anonKb: number }

export function rssSplit(pids: number[]): RssSplit {
  const r: RssSplit = { exeKb: 0, fileKb: 0, anonKb: 0 };
  for (const p of pids) {
    try {
      const exe = readlinkSync(`/proc/${p}/exe`);
      let path = '';
      for (const line of readFileSync(`/proc/${p}/smaps`, 'utf8').split('\n')) {
        const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
        if (head) {
          path = head[1]!;
          continue;
        }
        const rss = /^Rss:\s+(\d+) kB/.exec(line);
        if (!rss) continue;
        const kb = Number(rss[1]);
        if (path === exe) r.exeKb += kb;
        else if (path.startsWith('/')) r.fileKb += kb;
        else r.anonKb += kb;
      }
    } catch {
      /* exited */
    }
  }
  return r;
}

/** The daemon and its children (`ip netns exec` execs the command, so proc.pid is the daemon itself). */
export function daemonPids(d: DaemonHandle): number[] {
  return [d.pid, ...descendants(d.pid)];
}

/** the q-quantile (0..1) of samples, by nearest rank */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((x, y) => x - y);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]! : 0;
}
