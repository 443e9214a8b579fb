/**
 * Shared by the e2e tests that run daemons in lab namespaces: a daemon's lifetime inside a test
 * (stopped at the end, its last log lines printed when the test fails), the time of a log line, and
 * the script directories and notify recorder that enable_script_security accepts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DaemonHandle } from './keepalived';

/** Prints the last `lines` log lines of each daemon: the context of a failed test. */
export function dumpLogs(ds: readonly (DaemonHandle | null | undefined)[], lines = 40): void {
  for (const d of ds) if (d) console.error(`--- ${d.kind}@${d.host.name}\n${d.logs().slice(-lines).join('\n')}`);
}

/** Registers a daemon with withDaemons and returns it unchanged. */
export type Keep = <D extends DaemonHandle>(d: D) => D;

/**
 * Runs `body`, which registers every daemon it starts with `keep`. If `body` throws, the last
 * `logLines` (default 40) log lines of each registered daemon are printed, then `onFailure` runs, and
 * the error is rethrown. In every case each registered daemon is stopped, in the order registered
 * (a daemon already stopped or killed is fine; errors of stop are ignored).
 */
export async function withDaemons<T>(body: (keep: Keep) => Promise<T>, opts: { logLines?: number; onFailure?: () => void } = {}): Promise<T> {
  const ds: DaemonHandle[] = [];
  const keep: Keep = (d) => {
    ds.push(d);
    return d;
  };
  try {
    return await body(keep);
  } catch (e) {
    dumpLogs(ds, opts.logLines);
    opts.onFailure?.();
    throw e;
  } finally {
    for (const d of ds) await d.stop().catch(() => undefined);
  }
}

/** The time of a daemon's JSON log line in ms since the epoch (pino `time`: a number or an ISO string). */
export function logTimeMs(line: string): number {
  const t = (JSON.parse(line) as { time: string | number }).time;
  return typeof t === 'number' ? t : Date.parse(t);
}

/**
 * A fresh temp dir that root may run scripts from under enable_script_security: mode 0755, so only
 * its owner can replace what is inside.
 */
export function scriptDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(dir, 0o755);
  return dir;
}

/** An empty file `name` in `dir` that a script running as any user may append to (mode 0666). */
export function appendableFile(dir: string, name: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, '');
  fs.chmodSync(f, 0o666);
  return f;
}

export interface NotifyRecorder {
  /** the scriptDir holding the script and its log; removed by cleanup() */
  dir: string;
  /** a notify script that appends its argv ("$*") as one line to the log */
  script: string;
  /** the lines recorded so far */
  lines(): string[];
  cleanup(): void;
}

/** A notify script that records each of its runs, in a scriptDir of its own. */
export function notifyRecorder(prefix = 'kts-rec-'): NotifyRecorder {
  const dir = scriptDir(prefix);
  const log = appendableFile(dir, 'notify.log');
  const script = path.join(dir, 'rec.sh');
  fs.writeFileSync(script, `#!/bin/sh\necho "$*" >> ${log}\n`, { mode: 0o755 });
  return {
    dir,
    script,
    lines: () => fs.readFileSync(log, 'utf8').split('\n').filter(Boolean),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * Runs a command as user nobody that can still read the checkout (CAP_DAC_READ_SEARCH as an
 * ambient capability): a clone may sit in a 0700 directory, and the client code must load. The
 * capability grants no write permission, and connecting to a Unix socket needs write permission on
 * it, so a 0600 root socket still refuses this user exactly as it refuses any other non-root user.
 */
export const AS_NOBODY: readonly string[] = [
  'setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search',
];
