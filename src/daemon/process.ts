/**
 * The daemon as a process: pid files, going to the background (keepalived forks unless -n) and the
 * signals keepalived answers (TERM/INT stop, HUP reload, USR1/USR2 write the data/stats dumps).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import type { Logger } from '../util/log';
import type { DaemonOptions } from './context';

const DEFAULT_PID_FILE = '/run/keepalived.pid';

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

/** keepalived forks into the background unless -n: run ourselves detached with -n. */
export function forkToBackground(): void {
  const args = process.argv.slice(1);
  const child = spawn(process.execPath, [...process.execArgv, ...args, '-n'], { detached: true, stdio: 'ignore' });
  child.unref();
}

export interface SignalHandlers {
  stop: (signal: string) => Promise<void>;
  reload: () => Promise<unknown>;
  /** SIGUSR1: the data dump */
  data: () => unknown;
  /** SIGUSR2: the stats dump */
  stats: () => unknown;
}

export function installSignals(opts: DaemonOptions, log: Logger, h: SignalHandlers): void {
  process.on('SIGTERM', () => void h.stop('SIGTERM'));
  process.on('SIGINT', () => void h.stop('SIGINT'));
  process.on('SIGHUP', () => void h.reload().catch((e) => log.error({ code: 'E_RELOAD', err: e }, 'reload failed')));
  process.on('SIGUSR1', () => writeDump(log, opts.dataFile ?? '/tmp/keepalived.data', h.data()));
  process.on('SIGUSR2', () => writeDump(log, opts.statsFile ?? '/tmp/keepalived.stats', h.stats()));
}

function writeDump(log: Logger, file: string, data: unknown): void {
  try {
    fs.writeFileSync(file, JSON.stringify(data, null, 2) + '\n', { mode: 0o644 });
    log.info({ file }, `state written to ${file}`);
  } catch (e) {
    log.error({ code: 'E_DUMP', err: e, file }, `cannot write ${file}`);
  }
}
