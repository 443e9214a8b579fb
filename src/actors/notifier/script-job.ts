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
import { spawn } from 'node:child_process';
import type { MessagePort } from 'node:worker_threads';
import { resolveExecutable } from '../monitor/script';

export interface ScriptJobSpec {
  argv: string[];
  /** 0 = no timeout */
  timeoutMs: number;
  uid?: number;
  gid?: number;
  /** default 0o177 (keepalived) */
  umask?: number;
  /** SIGTERM → SIGKILL grace; default 2 000 ms (keepalived) */
  killGraceMs?: number;
  env?: Record<string, string>;
}

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

const UMASK_WRAPPER = 'umask "$1"; shift; exec "$@"';

export function runScriptJob(spec: ScriptJobSpec, port?: MessagePort): Promise<ScriptJobResult> {
  const t0 = Date.now();
  const base = { signal: null, timedOut: false, aborted: false };
  if (!Array.isArray(spec.argv) || spec.argv.length === 0 || typeof spec.argv[0] !== 'string') {
    return Promise.resolve({ ...base, code: null, error: 'E_SCRIPT_NOT_FOUND', message: 'empty command', durationMs: 0 });
  }
  const env = spec.env ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  const exe = resolveExecutable(spec.argv[0], env.PATH);
  if (!exe.ok) return Promise.resolve({ ...base, code: null, error: exe.error, message: exe.message, durationMs: Date.now() - t0 });
  const umask = (spec.umask ?? 0o177).toString(8).padStart(4, '0');
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let termTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let child: ReturnType<typeof spawn>;
    const finish = (r: Omit<ScriptJobResult, 'durationMs' | 'timedOut' | 'aborted'>): void => {
      if (settled) return;
      settled = true;
      if (termTimer) clearTimeout(termTimer);
      if (killTimer) clearTimeout(killTimer);
      port?.close();
      resolve({ ...r, timedOut, aborted, durationMs: Date.now() - t0 });
    };
    try {
      child = spawn('/bin/sh', ['-c', UMASK_WRAPPER, 'sh', umask, exe.path, ...spec.argv.slice(1)], {
        stdio: 'ignore',
        detached: true,
        env,
        ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
        ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
      });
    } catch (e) {
      finish({ code: null, signal: null, error: 'E_SCRIPT_SPAWN', message: (e as Error).message });
      return;
    }
    const killGroup = (sig: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    const terminate = (): void => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), spec.killGraceMs ?? 2000);
    };
    child.once('error', (e) => finish({ code: null, signal: null, error: 'E_SCRIPT_SPAWN', message: e.message, pid: child.pid }));
    child.once('exit', (code, signal) => {
      if (timedOut || aborted) killGroup('SIGKILL'); // leftovers of the group
      finish({ code, signal, pid: child.pid });
    });
    if (spec.timeoutMs > 0) {
      termTimer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, spec.timeoutMs);
    }
    port?.on('message', (m: unknown) => {
      if (m === 'abort' && !settled && !aborted) {
        aborted = true;
        terminate();
      }
    });
  });
}

export default function job(task: { spec: ScriptJobSpec; port?: MessagePort }): Promise<ScriptJobResult> {
  return runScriptJob(task.spec, task.port);
}
