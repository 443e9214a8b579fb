/**
 * Checker hosts run below the threads that send adverts. On a small machine 1,000 HTTP checks a
 * second keep a core busy; at the same priority the kernel lets them delay the VRRP host's timer and
 * the main thread's send by whole milliseconds (bench/checkers.ts). So the thread that loads the
 * checker module raises its own nice value by CHECKER_NICE (a thread's id is a pid to setpriority(2)
 * on Linux): under contention the VRRP host and the main thread win, and the checks still get the rest.
 * Other actors of the checker pool (vrrp_script, track_file, link monitors) share that thread's priority.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { isMainThread } from 'node:worker_threads';

export const CHECKER_NICE = 10;

/** Lowers the calling worker thread's CPU priority; never the main thread. The thread id, or null when not done. */
export function lowerThisThread(by = CHECKER_NICE): number | null {
  if (isMainThread) return null;
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    setPriority(tid, Math.min(19, getPriority(tid) + by));
    return tid;
  } catch {
    return null; // not Linux, or not allowed: the checks run at the daemon's priority
  }
}
