/**
 * piscina worker for one-shot jobs. Scripts: spawn the child in its own process group (detached), collect
 * bounded stdout/stderr, kill the whole group at the timeout (SIGTERM, then SIGKILL after a grace) or on
 * an abort message. Tasks: require(modulePath) and call its `run(payload)` (or default export).
 * Never throws for an expected failure: returns `{ error: { code, message } }` so the code survives the
 * thread boundary.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MessagePort } from 'node:worker_threads';

export interface ScriptSpec {
  argv: string[];
  timeoutMs: number;
  uid?: number;
  gid?: number;
  env?: Record<string, string>;
  umask?: number;
  killGraceMs?: number;
  maxOutput?: number;
}

export interface JobResult { code: number | null; signal: string | null; timedOut: boolean; aborted: boolean; stdout: string; stderr: string; durationMs: number }
export type WorkerTask =
  | { kind: 'script'; spec: ScriptSpec; port?: MessagePort }
  | { kind: 'task'; modulePath: string; payload: unknown };
export type WorkerReply = { ok: true; value: unknown } | { ok: false; error: { code: string; message: string } };

function resolveExecutable(file: string, env: Record<string, string | undefined>): { path: string } | { code: string; message: string } {
  const candidates = file.includes('/') ? [file] : (env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':').map((d) => path.join(d, file));
  for (const c of candidates) {
    try {
      const st = fs.statSync(c);
      if (!st.isFile()) continue;
      fs.accessSync(c, fs.constants.X_OK);
      return { path: c };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES' && file.includes('/')) {
        return { code: 'E_SCRIPT_NOT_EXECUTABLE', message: `script is not executable: ${file}` };
      }
    }
  }
  return { code: 'E_SCRIPT_NOT_FOUND', message: `script not found: ${file}` };
}

function runScript(spec: ScriptSpec, port?: MessagePort): Promise<WorkerReply> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const env = spec.env ?? { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
    if (!Array.isArray(spec.argv) || spec.argv.length === 0 || typeof spec.argv[0] !== 'string') {
      resolve({ ok: false, error: { code: 'E_SCRIPT_ARGV', message: 'script argv is empty' } });
      return;
    }
    const exe = resolveExecutable(spec.argv[0], env);
    if (!('path' in exe)) {
      resolve({ ok: false, error: exe });
      return;
    }
    // process.umask() cannot be set in a worker thread: apply it in a shell that then execs the script
    const [cmd, args] = spec.umask !== undefined
      ? ['/bin/sh', ['-c', `umask ${spec.umask.toString(8).padStart(4, '0')} && exec "$0" "$@"`, exe.path, ...spec.argv.slice(1)]]
      : [exe.path, spec.argv.slice(1)];
    const max = spec.maxOutput ?? 64 * 1024;
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let aborted = false;
    let done = false;
    let child;
    try {
      child = spawn(cmd, args as string[], {
        detached: true, stdio: ['ignore', 'pipe', 'pipe'], env, argv0: spec.argv[0],
        ...(spec.uid !== undefined ? { uid: spec.uid } : {}), ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
      });
    } catch (e) {
      resolve({ ok: false, error: { code: 'E_SCRIPT_SPAWN', message: `cannot run ${spec.argv[0]}: ${(e as Error).message}` } });
      return;
    }
    const pid = child.pid;
    const killGroup = (sig: NodeJS.Signals): void => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, sig);
      } catch {
        /* already gone */
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = (): void => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), spec.killGraceMs ?? 500);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, spec.timeoutMs);
    port?.on('message', (m: unknown) => {
      if (m === 'abort' && !done) {
        aborted = true;
        terminate();
      }
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < max) stdout += d.slice(0, max - stdout.length);
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < max) stderr += d.slice(0, max - stderr.length);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      port?.close();
      resolve({ ok: false, error: { code: e.code === 'ENOENT' ? 'E_SCRIPT_NOT_FOUND' : 'E_SCRIPT_SPAWN', message: `cannot run ${spec.argv[0]}: ${e.message}` } });
    });
    child.on('close', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (timedOut || aborted) killGroup('SIGKILL'); // leftovers of the group
      port?.close();
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      resolve({ ok: true, value: { code, signal, timedOut, aborted, stdout, stderr, durationMs } satisfies JobResult });
    });
  });
}

async function runTask(modulePath: string, payload: unknown): Promise<WorkerReply> {
  let mod: { run?: (p: unknown) => unknown; default?: unknown };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require(modulePath) as typeof mod;
  } catch (e) {
    return { ok: false, error: { code: 'E_TASK_MODULE', message: `cannot load task module ${modulePath}: ${(e as Error).message}` } };
  }
  const fn = typeof mod.run === 'function' ? mod.run : typeof mod.default === 'function' ? (mod.default as (p: unknown) => unknown) : null;
  if (!fn) return { ok: false, error: { code: 'E_TASK_MODULE', message: `${modulePath} exports no run(payload)` } };
  try {
    return { ok: true, value: await fn(payload) };
  } catch (e) {
    return { ok: false, error: { code: (e as { code?: string }).code ?? 'E_TASK_FAILED', message: (e as Error).message ?? String(e) } };
  }
}

export default async function job(task: WorkerTask): Promise<WorkerReply> {
  switch (task.kind) {
    case 'script':
      return runScript(task.spec, task.port);
    case 'task':
      return runTask(task.modulePath, task.payload);
    default:
      return { ok: false, error: { code: 'E_JOB_KIND', message: 'unknown job kind' } };
  }
}
