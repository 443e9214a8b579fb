/**
 * Notify scripts and notify FIFOs, matched against keepalived 2.2.7 (vrrp_notify.c) and measured on
 * the real daemon (test/e2e/notify-keepalived-argv.test.ts):
 * - the generic `notify` script gets `INSTANCE|GROUP <name> MASTER|BACKUP|FAULT|STOP <priority>`
 *   appended after its configured arguments; <priority> is the EFFECTIVE priority for an instance
 *   and 0 for a group;
 * - `notify_master` / `notify_backup` / `notify_fault` / `notify_stop` get only their configured args;
 * - the specific script is started first, then the generic one, without waiting (they run concurrently);
 * - scripts run with umask 0177, stdio on /dev/null, in their own process group, with keepalived's own
 *   environment passed through unchanged (keepalived neither clears nor adds variables) and its cwd;
 * - FIFO lines: `INSTANCE "VI_1" MASTER 100\n`, `GROUP "VG_1" MASTER 0\n`, and the events
 *   MASTER_RX_LOWER_PRI / MASTER_PRIORITY / BACKUP_PRIORITY.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { KtsError } from '../../util/errors';

export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';
export type FifoEvent = NotifyState | 'MASTER_RX_LOWER_PRI' | 'MASTER_PRIORITY' | 'BACKUP_PRIORITY';

/** A script as the config helper gives it. */
export interface NotifyScript {
  argv: string[];
  user?: string;
  group?: string;
  raw: string;
  /** resolved by security.ts (resolveScriptUser); default root */
  uid?: number;
  gid?: number;
}

export interface NotifyConfig {
  notify?: NotifyScript;
  notifyMaster?: NotifyScript;
  notifyBackup?: NotifyScript;
  notifyFault?: NotifyScript;
  notifyStop?: NotifyScript;
  /** instances only: notify_master_rx_lower_pri */
  notifyMasterRxLowerPri?: NotifyScript;
}

export interface NotifyInvocation {
  argv: string[];
  uid?: number;
  gid?: number;
  /** 0 = no timeout (keepalived does not time notify scripts out, except STOP: 1 s) */
  timeoutMs: number;
  which: 'specific' | 'generic';
}

/** keepalived waits TIMER_HZ (1 s) for a notify_stop / STOP notify before killing it. */
export const STOP_NOTIFY_TIMEOUT_MS = 1000;

/** The generic `notify` script's argv: configured args + TYPE NAME STATE PRIORITY. */
export function genericNotifyArgv(
  script: Pick<NotifyScript, 'argv'>,
  type: 'INSTANCE' | 'GROUP',
  name: string,
  state: NotifyState,
  priority: number,
): string[] {
  return [...script.argv, type, name, state, String(type === 'GROUP' ? 0 : priority)];
}

function specificFor(cfg: NotifyConfig, state: NotifyState): NotifyScript | undefined {
  switch (state) {
    case 'MASTER':
      return cfg.notifyMaster;
    case 'BACKUP':
      return cfg.notifyBackup;
    case 'FAULT':
      return cfg.notifyFault;
    case 'STOP':
      return cfg.notifyStop;
    default: {
      const never: never = state;
      return never;
    }
  }
}

/**
 * What keepalived runs on a state change of an instance (send_instance_notifies) or a sync group
 * (send_group_notifies): the specific script first, then the generic one. Pure.
 */
export function notifyInvocations(
  cfg: NotifyConfig,
  type: 'INSTANCE' | 'GROUP',
  name: string,
  state: NotifyState,
  effectivePriority: number,
): NotifyInvocation[] {
  const timeoutMs = state === 'STOP' ? STOP_NOTIFY_TIMEOUT_MS : 0;
  const out: NotifyInvocation[] = [];
  const specific = specificFor(cfg, state);
  if (specific) out.push({ argv: [...specific.argv], uid: specific.uid, gid: specific.gid, timeoutMs, which: 'specific' });
  if (cfg.notify) {
    out.push({
      argv: genericNotifyArgv(cfg.notify, type, name, state, effectivePriority),
      uid: cfg.notify.uid,
      gid: cfg.notify.gid,
      timeoutMs,
      which: 'generic',
    });
  }
  return out;
}

/** One notify FIFO line, newline included. Groups report priority 0. */
export function fifoLine(type: 'INSTANCE' | 'GROUP', name: string, event: FifoEvent, priority: number): string {
  return `${type} "${name}" ${event} ${type === 'GROUP' ? 0 : priority}\n`;
}

/**
 * Writer for notify_fifo / vrrp_notify_fifo that never blocks: the FIFO is opened O_RDWR|O_NONBLOCK
 * (an open that neither waits for a reader nor fails without one); a line that does not fit (no reader
 * draining it, pipe full) is dropped and counted. Lines are < PIPE_BUF, so each write is atomic.
 */
export class FifoWriter {
  private fd: number | undefined;
  dropped = 0;
  written = 0;
  created = false;

  constructor(readonly path: string, private readonly opts: { create?: boolean; mode?: number } = {}) {}

  open(): void {
    if (this.fd !== undefined) return;
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(this.path);
    } catch {
      st = undefined;
    }
    if (!st) {
      if (this.opts.create === false) throw new KtsError('E_FIFO_OPEN', `notify fifo ${this.path} does not exist`);
      const mode = (this.opts.mode ?? 0o600).toString(8);
      try {
        execFileSync('mkfifo', ['-m', mode, this.path], { stdio: 'ignore' });
      } catch (e) {
        throw new KtsError('E_FIFO_OPEN', `Unable to create notify fifo ${this.path}: ${(e as Error).message}`);
      }
      this.created = true;
    } else if (!st.isFIFO()) {
      throw new KtsError('E_FIFO_OPEN', `notify fifo ${this.path} exists and is not a FIFO`);
    }
    this.fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
  }

  /** true when the line went into the pipe. Never throws, never blocks. */
  write(line: string): boolean {
    if (this.fd === undefined) {
      try {
        this.open();
      } catch {
        this.dropped++;
        return false;
      }
    }
    try {
      const buf = Buffer.from(line);
      const n = fs.writeSync(this.fd!, buf);
      if (n !== buf.length) {
        this.dropped++;
        return false;
      }
      this.written++;
      return true;
    } catch {
      this.dropped++;
      return false;
    }
  }

  close(opts: { removeIfCreated?: boolean } = {}): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* ignore */
      }
      this.fd = undefined;
    }
    if (opts.removeIfCreated && this.created) {
      try {
        fs.unlinkSync(this.path);
      } catch {
        /* ignore */
      }
    }
  }
}
