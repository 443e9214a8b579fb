/**
 * What the benches measure the same way: a daemon's CPU time and RSS from /proc, and summary
 * statistics of samples.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { descendants, type DaemonHandle } from '../test/helpers/keepalived';

const PAGE_KB = 4;

/** CPU time (ns, every thread's /proc/PID/task/TID/schedstat) and RSS kB, summed over pids. */
export function procUsage(pids: number[]): { cpuNs: number; rssKb: number } {
  let cpuNs = 0;
  let rssKb = 0;
  for (const p of pids) {
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        cpuNs += Number(readFileSync(`/proc/${p}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      }
      const st = readFileSync(`/proc/${p}/stat`, 'utf8');
      rssKb += Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[21]) * PAGE_KB;
    } catch {
      /* exited */
    }
  }
  return { cpuNs, rssKb };
}

export function daemonPids(d: DaemonHandle): number[] {
  // `ip netns exec` execs the command, so proc.pid is the daemon itself
  return [d.pid, ...descendants(d.pid)];
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
export const mmm = (xs: number[], d = 1): string => `${Math.min(...xs).toFixed(d)} / ${median(xs).toFixed(d)} / ${Math.max(...xs).toFixed(d)}`;
export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
export const stdev = (xs: number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
/** the q-quantile (0..1) by nearest rank */
export const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};
