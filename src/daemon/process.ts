/**
 * The daemon as a process: pid files, going to the background (keepalived forks unless -n) and the
 * signals keepalived answers (signal-table.ts: TERM/INT stop, HUP reload, USR1/USR2/JSON/STATS_CLEAR
 * write keepalived's dump files).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Logger } from '../util/log';
import type { DaemonOptions } from './context';
import { catchSignals, caughtSignals, realtimeRange, setSignalHandler } from '../io';
import { caughtSignals as signalsToCatch } from './signal-table';
import { SignalDispatcher, type SignalActions } from './signal-dispatch';

const DEFAULT_PID_FILE = '/run/keepalived.pid';
const osSignals = constants.signals as Record<string, number>;

function pidFiles(opts: DaemonOptions): string[] {
  return [opts.pidFile ?? DEFAULT_PID_FILE, opts.vrrpPidFile].filter((p): p is string => !!p);
}

/** Write our pid files; false (and logged) when a live process already holds one. */
export function writePidFiles(opts: DaemonOptions, log: Logger): boolean {
  for (const p of pidFiles(opts)) {
    try {
      const old = Number(fs.readFileSync(p, 'utf8').trim());
      if (old > 0 && old !== process.pid) {
        try {
          process.kill(old, 0);
          log.error({ code: 'E_ALREADY_RUNNING', pidFile: p, pid: old }, `daemon is already running (pid ${old}, ${p})`);
          return false;
        } catch {
          /* stale */
        }
      }
    } catch {
      /* none */
    }
    try {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, `${process.pid}\n`);
    } catch (e) {
      log.warn({ code: 'E_PID_FILE', err: e, pidFile: p }, `cannot write pid file ${p}`);
    }
  }
  return true;
}

/** Remove the pid files that still name us. */
export function removePidFiles(opts: DaemonOptions): void {
  for (const p of pidFiles(opts)) {
    try {
      if (Number(fs.readFileSync(p, 'utf8').trim()) === process.pid) fs.unlinkSync(p);
    } catch {
      /* gone */
    }
  }
}

/** Set in the environment of the child forkToBackground starts: the child reports readiness on its IPC channel. */
const READY_ENV = 'KTS_FORK_READY';

/**
 * keepalived forks into the background unless -n: run ourselves detached with -n and wait until the
 * child is ready (signalReady) or exits. The command's status is 0 once the daemon runs, or the
 * child's status when it cannot start (its lines went to its destinations: syslog, -g file, and the
 * console with -l, which the child inherits).
 */
export function forkToBackground(opts: DaemonOptions): Promise<number> {
  const args = process.argv.slice(1);
  const child = spawn(process.execPath, [...process.execArgv, ...args, '-n'], {
    detached: true,
    stdio: ['ignore', 'ignore', opts.logConsole ? 'inherit' : 'ignore', 'ipc'],
    env: { ...process.env, [READY_ENV]: '1' },
  });
  return new Promise((resolve) => {
    const done = (code: number): void => {
      child.removeAllListeners();
      if (child.connected) child.disconnect();
      child.unref();
      resolve(code);
    };
    child.on('message', (m: unknown) => {
      if ((m as { ready?: boolean } | null)?.ready === true) done(0);
    });
    child.on('exit', (code, signal) => done(code ?? 128 + (signal ? (osSignals[signal] ?? 0) : 0)));
    child.on('error', () => done(1));
  });
}

/** In the child of forkToBackground: every instance has started and the control socket listens. */
export function signalReady(): void {
  if (process.env[READY_ENV] !== '1') return;
  delete process.env[READY_ENV]; // not inherited by scripts
  if (!process.send) return;
  process.send({ ready: true }, () => process.disconnect());
}

/**
 * The daemon takes over the signals (held by SignalDispatcher until it is ready). bin/keepalived-ts
 * caught them first thing; started another way (tests calling main()), they are caught here.
 */
export function takeOverSignals(log: Logger, actions: SignalActions): SignalDispatcher {
  const signals = new SignalDispatcher(actions, log);
  if (caughtSignals().length === 0) {
    try {
      const rt = realtimeRange();
      catchSignals(signalsToCatch(rt.min, rt.max));
    } catch (e) {
      log.error({ code: (e as { code?: string }).code ?? 'E_IO_SIGNAL', err: e }, `cannot catch signals: ${(e as Error).message}`);
    }
  }
  setSignalHandler((signo) => signals.onSignal(signo));
  return signals;
}
