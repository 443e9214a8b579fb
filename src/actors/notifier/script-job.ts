/**
 * piscina worker for one-shot script jobs of the notifier and monitor actors (notify scripts,
 * vrrp_script runs). Same process model as keepalived and as monitor/script.ts runScript():
 * - no shell interpretation: argv[0] is exec'd after a tiny `sh` that sets the umask (0177 default);
 * - stdio on /dev/null (a script that leaves a child in the background is done when it exits);
 * - its own process group (detached), so the timeout or an abort kills the script's children too:
 *   SIGTERM to the group, SIGKILL after `killGraceMs` (keepalived: 2 s);
 * - uid/gid applied by spawn().
 * Never throws for an expected failure: the result carries `error` (E_SCRIPT_NOT_FOUND, …).
 * One piscina thread carries many jobs: a job is only a wait on a child process.
 */
import type { MessagePort } from 'node:worker_threads';
import { runScript, type RunScriptOptions } from '../monitor/script';

/** What crosses to the pool thread: runScript's options minus what cannot be cloned (signal) or is not used. */
export type ScriptJobSpec = Pick<RunScriptOptions, 'argv' | 'timeoutMs' | 'uid' | 'gid' | 'umask' | 'killGraceMs'> & {
  /** the script's whole environment; default PATH only */
  env?: Record<string, string>;
};

export interface ScriptJobResult {
  /** exit code; null when killed by a signal or never started */
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  aborted: boolean;
  /** set when the script could not be started (or was refused by the broker) */
  error?: string;
  message?: string;
  durationMs: number;
  pid?: number;
}

/**
 * One script run inside the pool worker: monitor/script.ts runScript (the one implementation of
 * keepalived's process model), with the broker's 'abort' message on `port` wired to its AbortSignal.
 */
export async function runScriptJob(spec: ScriptJobSpec, port?: MessagePort): Promise<ScriptJobResult> {
  const ac = new AbortController();
  port?.on('message', (m: unknown) => {
    if (m === 'abort') ac.abort();
  });
  try {
    const r = await runScript({
      argv: spec.argv, timeoutMs: spec.timeoutMs, uid: spec.uid, gid: spec.gid, umask: spec.umask, killGraceMs: spec.killGraceMs,
      env: spec.env ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }, signal: ac.signal,
    });
    return { code: r.code, signal: r.signal, timedOut: r.timedOut, aborted: r.aborted ?? false, error: r.error, message: r.message, durationMs: r.durationMs, pid: r.pid };
  } finally {
    port?.close();
  }
}

export default function job(task: { spec: ScriptJobSpec; port?: MessagePort }): Promise<ScriptJobResult> {
  return runScriptJob(task.spec, task.port);
}
