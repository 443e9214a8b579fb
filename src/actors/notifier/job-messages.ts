/**
 * The job protocol between monitor/notifier actors (worker threads) and the main thread's script
 * pool (src/daemon/script-jobs.ts). An actor never spawns a process itself: it asks with `job` and gets
 * `job.done` back, so the bounded piscina pool, the insecure-script gate and every child process stay
 * with the main thread, and a crashed or terminated actor host cannot orphan a script. A job started
 * by an incarnation that crashed still finishes; its `job.done` is delivered to the restarted actor
 * (which recognises the `ref` it kept in its snapshot).
 *
 * `log` lets an actor log through the daemon's logger (same destination as every other line, -g
 * included), keeping keepalived's texts.
 */
import type { ScriptJobSpec, ScriptJobResult } from './script-job';

export type { ScriptJobSpec, ScriptJobResult };

export type JobRequest = { type: 'job'; ref: string; job: ScriptJobSpec };
export type JobDone = { type: 'job.done'; ref: string; result: ScriptJobResult };
export type LogRequest = { type: 'log'; level: 'debug' | 'info' | 'warn' | 'error'; fields: Record<string, unknown>; msg: string };

/** A job ref unique across restarts of one actor: incarnation stamp + counter. */
export function jobRefMaker(now: number): () => string {
  const stamp = Math.round(now * 1000).toString(36);
  let n = 0;
  return () => `${stamp}.${++n}`;
}

/** Outcome of a script job as keepalived logs it: ok, or an error code and a text. */
export function jobFailure(r: ScriptJobResult, timeoutMs: number): { code: string; what: string } | null {
  if (!r.error && !r.timedOut && !r.aborted && r.code === 0) return null;
  if (r.error) return { code: r.error, what: r.message ?? r.error };
  if (r.timedOut) return { code: 'E_SCRIPT_TIMEOUT', what: `timed out after ${timeoutMs} ms - killed` };
  if (r.aborted) return { code: 'E_SCRIPT_ABORTED', what: 'aborted - killed' };
  return { code: 'E_SCRIPT_EXIT', what: `exited with ${r.code ?? r.signal}` };
}
