/**
 * vrrp_script: the rise/fall machine (pure) and the runner (IO, usable in a worker thread or a piscina job).
 *
 * The machine follows keepalived 2.2.7 vrrp_scheduler.c (vrrp_init_script, vrrp_script_child_thread):
 * `result` counts in 0..rise+fall-1; OK ⇔ result >= rise.
 * - start: result = rise-1 ("one success is enough"); with `init_fail`, result = 0 (assumed failed).
 * - success: result < rise-1 ⇒ result++; else result = rise+fall-1 (entering OK when it was < rise).
 * - failure (exit ≠ 0, signal, timeout): result > rise ⇒ result--; else result = 0 (entering KO when it
 *   was == rise, or on the very first result).
 * The first result always reports (keepalived calls update_script_priorities while still in INIT state).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export interface ScriptConfig {
  rise: number;
  fall: number;
  initFail?: boolean;
}

export interface ScriptState {
  rise: number;
  fall: number;
  result: number;
  initState: 'init' | 'init-fail' | 'done';
}

export type ScriptTransition = 'succeeded' | 'failed' | null;

export function initialScriptState(cfg: ScriptConfig): ScriptState {
  const rise = Math.max(1, cfg.rise);
  const fall = Math.max(1, cfg.fall);
  return cfg.initFail
    ? { rise, fall, result: 0, initState: 'init-fail' }
    : { rise, fall, result: rise - 1, initState: 'init' };
}

export function scriptOk(s: ScriptState): boolean {
  return s.initState === 'done' && s.result >= s.rise;
}

/** One run's outcome applied to the machine. `transition` is set when the OK/KO status changed (or first result). */
export function scriptResult(s: ScriptState, exitOk: boolean): ScriptState & { transition: ScriptTransition } {
  const top = s.rise + s.fall - 1;
  let result = s.result;
  let transition: ScriptTransition = null;
  if (exitOk) {
    if (result < s.rise - 1) result++;
    else if (result !== top) {
      if (result < s.rise) transition = 'succeeded';
      result = top;
    }
  } else if (result > s.rise) {
    result--;
  } else {
    if (result === s.rise || s.initState === 'init') transition = 'failed';
    result = 0;
  }
  return { rise: s.rise, fall: s.fall, result, initState: 'done', transition };
}

/** keepalived: timeout defaults to the interval; interval defaults to 1 s. */
export function scriptTimeoutMs(intervalMs: number | undefined, timeoutMs: number | undefined): number {
  const interval = intervalMs ?? 1000;
  return timeoutMs && timeoutMs > 0 ? timeoutMs : interval;
}

/**
 * Scheduling: the first run is immediate; each run is scheduled `interval` after the previous one
 * STARTED. A run that would start while the previous one still runs is skipped (keepalived logs
 * "Track script … is already running, expect idle - skipping run").
 */
export function nextRun(startedAtMs: number, intervalMs: number, nowMs: number): number {
  let next = startedAtMs + intervalMs;
  if (next <= nowMs) next += Math.ceil((nowMs - next + 1) / intervalMs) * intervalMs;
  return next;
}

// ---------------------------------------------------------------------------------------------------
// Runner (IO)

export interface RunScriptOptions {
  argv: string[];
  timeoutMs: number;
  uid?: number;
  gid?: number;
  /** umask applied in the child (keepalived runs scripts with 0177). Default 0o177. */
  umask?: number;
  /** grace between SIGTERM to the process group and SIGKILL, default 2000 ms (keepalived). */
  killGraceMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Aborting kills the script's process group like a timeout does (result `aborted`). */
  signal?: AbortSignal;
}

export type RunScriptError = 'E_SCRIPT_NOT_FOUND' | 'E_SCRIPT_NOT_EXECUTABLE' | 'E_SCRIPT_SPAWN';

export interface RunScriptResult {
  /** exit code, null when killed by a signal or never started */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** killed because `signal` was aborted */
  aborted?: boolean;
  /** set when the script could not be started */
  error?: RunScriptError;
  message?: string;
  durationMs: number;
  pid?: number;
}

export function runOk(r: RunScriptResult): boolean {
  return !r.error && !r.timedOut && r.code === 0;
}

/** Resolve argv[0] like keepalived: a name without '/' is searched in PATH. */
export function resolveExecutable(file: string, envPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'):
  { ok: true; path: string } | { ok: false; error: RunScriptError; message: string } {
  const candidates = file.includes('/') ? [file] : envPath.split(':').map((d) => path.join(d || '.', file));
  let sawNoExec = false;
  for (const c of candidates) {
    try {
      const st = statSync(c);
      if (!st.isFile()) {
        sawNoExec = true;
        continue;
      }
      accessSync(c, constants.X_OK);
      return { ok: true, path: c };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES') sawNoExec = true;
    }
  }
  if (sawNoExec) return { ok: false, error: 'E_SCRIPT_NOT_EXECUTABLE', message: `script '${file}' is not executable` };
  return { ok: false, error: 'E_SCRIPT_NOT_FOUND', message: `Script ${file} cannot be accessed - No such file or directory` };
}

// Sets the umask then execs the real program: no shell interpretation of the arguments.
const UMASK_WRAPPER = 'umask "$1"; shift; exec "$@"';

/**
 * Run a script without a shell (argv[0] is executed directly, after setting the umask), stdio on
 * /dev/null like keepalived, in its own process group. At `timeoutMs` the group gets SIGTERM, then
 * SIGKILL after `killGraceMs`. Never rejects.
 */
export function runScript(opts: RunScriptOptions): Promise<RunScriptResult> {
  const t0 = Date.now();
  const done = (r: Omit<RunScriptResult, 'durationMs'>): RunScriptResult => ({ ...r, durationMs: Date.now() - t0 });
  if (opts.argv.length === 0 || typeof opts.argv[0] !== 'string') {
    return Promise.resolve(done({ code: null, signal: null, timedOut: false, error: 'E_SCRIPT_NOT_FOUND', message: 'empty command' }));
  }
  const exe = resolveExecutable(opts.argv[0], opts.env?.PATH ?? process.env.PATH);
  if (!exe.ok) {
    return Promise.resolve(done({ code: null, signal: null, timedOut: false, error: exe.error, message: exe.message }));
  }
  const umask = (opts.umask ?? 0o177).toString(8).padStart(4, '0');
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let termTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const onAbort = (): void => {
      if (settled || aborted) return;
      aborted = true;
      terminate();
    };
    const finish = (r: Omit<RunScriptResult, 'durationMs' | 'timedOut' | 'aborted'>) => {
      if (settled) return;
      settled = true;
      if (termTimer) clearTimeout(termTimer);
      if (killTimer) clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(done({ ...r, timedOut, ...(aborted ? { aborted } : {}) }));
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn('/bin/sh', ['-c', UMASK_WRAPPER, 'sh', umask, exe.path, ...opts.argv.slice(1)], {
        stdio: 'ignore',
        detached: true, // own process group, so a timeout kills the script's children too
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        uid: opts.uid,
        gid: opts.gid,
      });
    } catch (e) {
      finish({ code: null, signal: null, error: 'E_SCRIPT_SPAWN', message: (e as Error).message });
      return;
    }
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    function terminate(): void {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs ?? 2000);
    }
    child.once('error', (e) => finish({ code: null, signal: null, error: 'E_SCRIPT_SPAWN', message: e.message, pid: child.pid }));
    child.once('exit', (code, signal) => {
      // the group may still hold children of a script we timed out: make sure they die too
      if (timedOut || aborted) killGroup('SIGKILL');
      finish({ code, signal, pid: child.pid });
    });
    if (opts.timeoutMs > 0) {
      termTimer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, opts.timeoutMs);
    }
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort);
  });
}
