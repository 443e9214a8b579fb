/**
 * track_file monitor actor (pool 'checker'), one per track_file / vrrp_track_file in use.
 *
 * keepalived 2.2.7 (trackers/track_file.c) watches the file's directory with inotify
 * (IN_CLOSE_WRITE | IN_DELETE | IN_MOVE) and on each event re-reads the file: up to 127 bytes,
 * `strtol(buf, NULL, 0)`; a missing, unreadable or empty file counts as 0, a number outside int32 is
 * logged ("Invalid number … read from … - ignoring") and the previous value kept.
 *
 * Here: fs.watch (inotify) on the directory, filtered on the file's name. Node's watcher also fires
 * on IN_MODIFY (no IN_CLOSE_WRITE), so an event arms a short read timer (READ_SETTLE_MS, re-armed by
 * every further event) instead of reading at once: `echo 1 > f` truncates before it writes, and a
 * read between the two would see an empty file (0) that keepalived never sees. A periodic re-read
 * (`intervalMs`, default 1 s) catches what inotify cannot see (a watcher that failed, a directory
 * replaced, network file systems).
 *
 * The actor reports `{ type: 'file', name, value }` whenever the value changes (and on start when it
 * differs from what the main thread last knew); the main thread aggregates it (computeEffective).
 * Snapshot: the last reported value, so a restarted actor reports only real changes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { defineActor, type ActorContext } from '../runtime';
import { parseTrackFileValue } from './priority';

export interface FileMonitorInit {
  name: string;
  /** resolved absolute path of the tracked file */
  path: string;
  /** the value the main thread read at configuration time */
  value: number;
  /** periodic re-read (ms); default 1000 */
  intervalMs?: number;
}

export type ToFileMonitor = { type: 'read' };
export type FileReport = { type: 'file'; name: string; value: number };
export type FromFileMonitor = FileReport;

export interface FileMonitorSnapshot {
  value: number;
}

/** Wait after an inotify event before reading, so a writer's truncate + write is read as one change. */
export const READ_SETTLE_MS = 15;
const DEFAULT_INTERVAL_MS = 1000;

export type TrackFileRead = { ok: true; value: number } | { ok: false; invalid: string };

/**
 * Read a tracked file as keepalived's process_track_file(): open O_RDONLY|O_NONBLOCK, read at most 127
 * bytes, strtol base 0. Cannot open or nothing read ⇒ 0. `{ ok: false }` for an out-of-range number.
 */
export function readTrackFile(file: string): TrackFileRead {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return { ok: true, value: 0 };
  }
  let text = '';
  try {
    const buf = Buffer.alloc(127);
    const n = fs.readSync(fd, buf, 0, 127, null);
    text = buf.subarray(0, n).toString('latin1');
  } catch {
    text = '';
  } finally {
    fs.closeSync(fd);
  }
  if (text.length === 0) return { ok: true, value: 0 };
  // strtol stops at the first NUL like at any other non-digit
  const v = parseTrackFileValue(text.split('\0')[0] ?? '');
  return v === undefined ? { ok: false, invalid: text.trim().slice(0, 40) } : { ok: true, value: v };
}

interface Working {
  init: FileMonitorInit;
  value: number;
  watcher: fs.FSWatcher | null;
}

type Ctx = ActorContext<FromFileMonitor, Working>;

/** OS handles by actor id: a crashed incarnation's watcher is closed by the next start (never state). */
const watchers = new Map<string, fs.FSWatcher>();

function closeWatcher(id: string): void {
  const w = watchers.get(id);
  if (w) {
    watchers.delete(id);
    try {
      w.close();
    } catch {
      /* already closed */
    }
  }
}

function watch(ctx: Ctx, w: Working): void {
  closeWatcher(ctx.id);
  const dir = path.dirname(w.init.path);
  const base = path.basename(w.init.path);
  try {
    const fw = fs.watch(dir, { persistent: false }, (_ev, filename) => {
      if (filename !== null && filename !== undefined && String(filename) !== base) return;
      ctx.setTimer('read', ctx.now() + READ_SETTLE_MS);
    });
    fw.on('error', (e) => {
      ctx.log.warn({ code: 'E_TRACK_FILE_WATCH', file: w.init.path, err: e }, `track_file ${w.init.name}: watch failed, re-reading periodically`);
      closeWatcher(ctx.id);
      if (ctx.state) ctx.state.watcher = null;
    });
    watchers.set(ctx.id, fw);
    w.watcher = fw;
  } catch (e) {
    ctx.log.warn({ code: 'E_TRACK_FILE_WATCH', file: w.init.path, err: e }, `track_file ${w.init.name}: cannot watch ${dir}, re-reading periodically`);
    w.watcher = null;
  }
}

function readNow(ctx: Ctx, w: Working): void {
  const r = readTrackFile(w.init.path);
  if (!r.ok) {
    ctx.log.info({ file: w.init.path, track: w.init.name }, `Invalid number ${r.invalid} read from ${w.init.path} - ignoring`);
    return;
  }
  if (r.value === w.value) return;
  w.value = r.value;
  ctx.report({ value: w.value } satisfies FileMonitorSnapshot);
  ctx.send({ type: 'file', name: w.init.name, value: w.value });
}

export const actor = defineActor<ToFileMonitor, FromFileMonitor, FileMonitorInit, Working>({
  start(ctx, init, snapshot) {
    const s = snapshot as FileMonitorSnapshot | undefined;
    const w: Working = { init, value: typeof s?.value === 'number' ? s.value : init.value, watcher: null };
    ctx.state = w;
    ctx.report({ value: w.value } satisfies FileMonitorSnapshot);
    watch(ctx, w);
    readNow(ctx, w); // what changed while nobody watched
    ctx.setTimer('poll', ctx.now() + (init.intervalMs ?? DEFAULT_INTERVAL_MS));
  },

  receive(ctx, msg) {
    const w = ctx.state;
    if (!w) return;
    switch (msg.type) {
      case 'read':
        readNow(ctx, w);
        return;
      default: {
        const never: never = msg.type;
        ctx.log.warn({ msg: never }, 'file monitor: unknown message dropped');
      }
    }
  },

  timer(ctx, name) {
    const w = ctx.state;
    if (!w) return;
    if (name === 'poll') {
      if (!w.watcher) watch(ctx, w);
      ctx.setTimer('poll', ctx.now() + (w.init.intervalMs ?? DEFAULT_INTERVAL_MS));
    }
    readNow(ctx, w);
  },

  stop(ctx) {
    closeWatcher(ctx.id);
    if (ctx.state) ctx.state.watcher = null;
  },
});
