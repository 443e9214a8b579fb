/**
 * Main-thread side of the track_file and vrrp_track_process monitors (pool 'checker'):
 *  - `file:<name>` (src/actors/monitor/actor-file.ts), one per track_file in use: inotify + periodic
 *    re-read, reports the file's value;
 *  - `process:<name>` (actor-process.ts), one per vrrp_track_process in use: polls /proc, reports
 *    quorum (after fork/terminate delays) and the number of matching processes.
 *
 * At configuration time (start and reload) the main thread does what keepalived's parser and
 * init_track_files()/read_procs() do before any instance runs: `init_file` creates or overwrites the
 * file, each file is resolved and read once, /proc is scanned once — so an instance starts with the
 * right priority / FAULT and never flaps at start-up. From then on the actors report changes and
 * `onChange` makes the daemon recompute the instances that track them (computeEffective).
 *
 * Weights follow keepalived: an instance's `track_file { NAME [weight W [reverse]] }` uses the
 * track_file's own weight (default 1) and `reverse` unless it gives its own; vrrp_track_process
 * likewise (default weight 0). A sync group's track_file / track_process applies to each member with
 * weight 0 unless `sync_group_tracking_weight`; a file/process tracked by both the instance and its
 * group is counted once (add_obj_to_track_file: the group's weight, unless the instance's is 0).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../util/log';
import type { Supervisor } from '../supervisor';
import { TRACK_FILE, TRACK_PROCESS } from '../actors/kinds';
import type { KeepalivedConfig, TrackRef, VrrpInstance, VrrpSyncGroup } from '../config';
import type { TrackerStatus } from '../actors/monitor/priority';
import { spawnOrLog } from './context';
import { readTrackFile, type FromFileMonitor } from '../actors/monitor/actor-file';
import {
  processSpec, initialQuorum, scanProc, runningForStatus, QUORUM_MAX_UNBOUNDED, DEFAULT_POLL_MS,
  type FromProcessMonitor, type ProcessSpec,
} from '../actors/monitor/actor-process';

export type FileProcessChange = { kind: 'file' | 'process'; name: string };

export interface FileProcessOptions {
  onChange: (c: FileProcessChange) => void;
  /** instance name → sync group name (the daemon's current plan) */
  groupOf: () => ReadonlyMap<string, string>;
  /** /proc poll period of the process monitors (ms) */
  pollMs?: number;
  /** periodic re-read of tracked files besides inotify (ms) */
  fileIntervalMs?: number;
}

interface FileRec { name: string; path: string; value: number; weight: number; reverse: boolean; actor: string }
interface ProcRec { name: string; spec: ProcessSpec; have: boolean; running: number; weight: number; reverse: boolean; actor: string }

export class FileProcessTrackers {
  private files = new Map<string, FileRec>();
  private procs = new Map<string, ProcRec>();
  private cfg: KeepalivedConfig | null = null;
  private gen = 0;

  constructor(private readonly sup: Supervisor, private readonly log: Logger, private readonly opts: FileProcessOptions) {
    sup.register(TRACK_FILE, (id, m) => this.onFile(id, m));
    sup.register(TRACK_PROCESS, (id, m) => this.onProcess(id, m));
  }

  /**
   * (Re)configure: init_file, resolve and read the files, scan /proc, and start a monitor per file /
   * process in use (a reload stops the previous generation and starts afresh, as keepalived does).
   */
  configure(cfg: KeepalivedConfig, reload: boolean): void {
    this.cfg = cfg;
    const old = [...this.files.values(), ...this.procs.values()].map((r) => r.actor);
    this.files = new Map();
    this.procs = new Map();
    const gen = this.gen++;
    const sfx = gen === 0 ? '' : `#${gen}`;
    void Promise.all(old.map((id) => this.sup.stop(id, 'reload')));

    for (const tf of Object.values(cfg.trackFiles)) if (tf.path && tf.initFile) this.initFile(tf.name, tf.path, tf.initFile, reload);

    const used = this.used(cfg);
    for (const name of used.files) {
      const tf = cfg.trackFiles[name];
      if (!tf?.path) continue;
      const resolved = this.resolveFile(name, tf.path);
      if (!resolved) continue;
      const r = readTrackFile(resolved);
      if (!r.ok) this.log.info({ track: name }, `Invalid number ${r.invalid} read from ${resolved} - ignoring`);
      const rec: FileRec = { name, path: resolved, value: r.ok ? r.value : 0, weight: tf.weight, reverse: tf.weightReverse, actor: `file:${name}${sfx}` };
      this.files.set(name, rec);
      spawnOrLog(this.sup, this.log, 'monitor', rec.actor, TRACK_FILE, {
        name, path: resolved, value: rec.value, ...(this.opts.fileIntervalMs ? { intervalMs: this.opts.fileIntervalMs } : {}),
      });
    }

    const specs: [string, ProcessSpec][] = [];
    for (const name of used.processes) {
      const tp = cfg.trackProcesses[name];
      if (!tp) continue;
      if (!tp.process) {
        this.log.error({ code: 'E_CONFIG_MISSING', track: name }, `track process '${name}' process name not specified`);
        continue;
      }
      specs.push([name, processSpec({ ...tp, process: tp.process })]);
    }
    if (specs.length > 0) {
      const snapshot = scanProc(specs.some(([, s]) => s.fullCommand));
      for (const [name, spec] of specs) {
        const tp = cfg.trackProcesses[name]!;
        const initial = initialQuorum(spec, snapshot);
        const rec: ProcRec = { name, spec, have: initial.have, running: initial.count, weight: tp.weight, reverse: tp.weightReverse, actor: `process:${name}${sfx}` };
        this.procs.set(name, rec);
        const delays = {
          forkDelayMs: Math.round((tp.forkDelay ?? tp.delay ?? 0) * 1000),
          terminateDelayMs: Math.round((tp.terminateDelay ?? tp.delay ?? 0) * 1000),
        };
        spawnOrLog(this.sup, this.log, 'monitor', rec.actor, TRACK_PROCESS, {
          name, spec, delays, pollMs: this.opts.pollMs ?? DEFAULT_POLL_MS, initial,
        });
      }
    }
  }

  /** The file/process trackers of an instance (its own and its sync group's), for computeEffective. */
  statuses(vi: VrrpInstance): TrackerStatus[] {
    const out: TrackerStatus[] = [];
    for (const t of this.refs(vi, 'file')) {
      const f = this.files.get(t.name);
      if (f) out.push({ kind: 'file', name: f.name, value: f.value, weight: t.weight ?? f.weight, reverse: t.reverse || f.reverse });
    }
    for (const t of this.refs(vi, 'process')) {
      const p = this.procs.get(t.name);
      if (!p) continue;
      const qmax = p.spec.quorumMax >= QUORUM_MAX_UNBOUNDED ? undefined : p.spec.quorumMax;
      out.push({
        kind: 'process', name: p.name, running: runningForStatus(p.spec, p.running, p.have), quorum: p.spec.quorum,
        ...(qmax !== undefined ? { quorumMax: qmax } : {}), weight: t.weight ?? p.weight, reverse: t.reverse || p.reverse,
      });
    }
    return out;
  }

  /** Does this instance (or its sync group) track that file / process? */
  tracks(vi: VrrpInstance, c: FileProcessChange): boolean {
    return this.refs(vi, c.kind).some((t) => t.name === c.name);
  }

  tracksAny(vi: VrrpInstance): boolean {
    return this.refs(vi, 'file').length > 0 || this.refs(vi, 'process').length > 0;
  }

  /** For --dump-state (vrrp section). */
  state(): { files: unknown[]; processes: unknown[] } {
    return {
      files: [...this.files.values()].map((f) => ({ name: f.name, file: f.path, value: f.value, weight: f.weight, reverse: f.reverse, actor: f.actor })),
      processes: [...this.procs.values()].map((p) => ({
        name: p.name, process: p.spec.process, params: p.spec.params ?? null, paramMatch: p.spec.paramMatch, fullCommand: p.spec.fullCommand,
        running: p.running, quorum: p.spec.quorum, quorumMax: p.spec.quorumMax >= QUORUM_MAX_UNBOUNDED ? null : p.spec.quorumMax,
        haveQuorum: p.have, weight: p.weight, reverse: p.reverse, actor: p.actor,
      })),
    };
  }

  // ----------------------------------------------------------------------------------------------

  /** Instance refs (weights as given) merged with its sync group's (weight 0 unless sync_group_tracking_weight). */
  private refs(vi: VrrpInstance, kind: 'file' | 'process'): TrackRef[] {
    const own = kind === 'file' ? vi.trackFiles : vi.trackProcesses;
    const gname = this.opts.groupOf().get(vi.name);
    const g: VrrpSyncGroup | undefined = gname ? this.cfg?.vrrpSyncGroups.find((x) => x.name === gname) : undefined;
    const out = new Map<string, TrackRef>();
    for (const t of own) if (!out.has(t.name)) out.set(t.name, t);
    for (const t of (kind === 'file' ? g?.trackFiles : g?.trackProcesses) ?? []) {
      const def = kind === 'file' ? this.cfg?.trackFiles[t.name] : this.cfg?.trackProcesses[t.name];
      const gw = g?.syncGroupTrackingWeight ? (t.weight ?? def?.weight ?? 0) : 0;
      const mine = out.get(t.name);
      if (mine) {
        const mw = mine.weight ?? def?.weight ?? 0;
        out.set(t.name, mw === 0 ? { ...mine, weight: 0 } : { name: t.name, weight: gw, reverse: t.reverse });
      } else out.set(t.name, { name: t.name, weight: gw, reverse: t.reverse });
    }
    return [...out.values()];
  }

  private used(cfg: KeepalivedConfig): { files: Set<string>; processes: Set<string> } {
    const files = new Set<string>();
    const processes = new Set<string>();
    const groupOf = this.opts.groupOf();
    for (const vi of cfg.vrrpInstances) {
      for (const t of vi.trackFiles) files.add(t.name);
      for (const t of vi.trackProcesses) processes.add(t.name);
      const gname = groupOf.get(vi.name);
      const g = gname ? cfg.vrrpSyncGroups.find((x) => x.name === gname) : undefined;
      for (const t of g?.trackFiles ?? []) files.add(t.name);
      for (const t of g?.trackProcesses ?? []) processes.add(t.name);
    }
    return { files, processes };
  }

  /** keepalived track_file_end_handler(): `init_file [VALUE] [overwrite]`. */
  private initFile(name: string, file: string, init: { value?: number; overwrite: boolean }, reload: boolean): void {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(file);
    } catch {
      st = undefined;
    }
    if (st) {
      if (!init.overwrite) return; // create only: the file exists
      if (!st.isFile()) {
        this.log.error({ code: 'E_TRACK_FILE', track: name }, `Cannot initialise track file ${name} - it is not a regular file`);
        return;
      }
      if (reload) return; // don't overwrite a file on reload
    }
    try {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | fs.constants.O_NOFOLLOW, 0o600); // keepalived creates it -rw-------
      try {
        fs.writeSync(fd, `${init.value ?? 0}\n`);
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      this.log.error({ code: 'E_TRACK_FILE', track: name, err: e }, `Unable to initialise track file ${name}`);
    }
  }

  /** keepalived init_track_files(): realpath, or the real directory of a file that does not exist yet. */
  private resolveFile(name: string, file: string): string | undefined {
    try {
      return fs.realpathSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log.error({ code: 'E_TRACK_FILE', track: name }, `track file ${name} is not accessible - ignoring`);
        return undefined;
      }
    }
    try {
      const dir = fs.realpathSync(path.dirname(path.resolve(file)));
      if (!fs.statSync(dir).isDirectory()) throw new Error('not a directory');
      return path.join(dir, path.basename(file));
    } catch {
      this.log.error({ code: 'E_TRACK_FILE', track: name }, `Track file directory for ${name} does not exist - removing`);
      return undefined;
    }
  }

  private onFile(id: string, m: FromFileMonitor): void {
    const rec = this.files.get(m.name);
    if (!rec || rec.actor !== id || rec.value === m.value) return;
    this.log.debug({ track: m.name, from: rec.value, to: m.value }, `Track file ${m.name} value now ${m.value}`);
    rec.value = m.value;
    this.opts.onChange({ kind: 'file', name: m.name });
  }

  private onProcess(id: string, m: FromProcessMonitor): void {
    const rec = this.procs.get(m.name);
    if (!rec || rec.actor !== id) return;
    const quorumChanged = rec.have !== m.have;
    rec.have = m.have;
    rec.running = m.running;
    if (quorumChanged) {
      this.log.info({ track: m.name, running: rec.running }, `Quorum ${m.have ? 'gained' : 'lost'} for tracked process ${m.name}`);
      this.opts.onChange({ kind: 'process', name: m.name });
    }
  }
}
