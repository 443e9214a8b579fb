/**
 * vrrp_track_process monitor actor (pool 'checker'), one per vrrp_track_process in use.
 *
 * keepalived 2.2.7 (core/track_process.c) counts the running processes that match, from the kernel's
 * proc connector (fork/exec/comm/exit events). The proc connector only exists in the initial network
 * namespace, and keepalived-ts daemons often run in another one (sharing the pid namespace), so this
 * actor polls /proc instead, every `pollMs` (default {@link DEFAULT_POLL_MS} = 200 ms): a change is seen
 * at most one poll late, and a process that starts and dies between two polls is not seen at all.
 *
 * Matching (read_procs/check_process): without `full_command`/parameters/`param_match` a process
 * matches when its comm (/proc/PID/stat, ≤ 15 characters; zombies skipped) equals `process`; with
 * them, argv[0] of /proc/PID/cmdline must equal `process` and the remaining arguments are compared by
 * check_params() (exact / initial / partial).
 *
 * Each poll is turned into keepalived's events, removals first: a tracked pid that is gone (or a zombie)
 * is an exit (terminate_delay applies), one that is alive but no longer matches is an exec/comm change
 * (immediate); a new match whose parent is a tracked pid is a fork (fork_delay applies), any other new
 * match an exec (immediate). Quorum (quorum ≤ n ≤ quorum_max) is re-evaluated at the same crossing
 * points and timers as keepalived; only the net status change of one poll is reported, so a process
 * replaced between two polls does not flap the instance.
 *
 * Reports `{ type: 'process', name, have, running }` when `have` (quorum, after delays) or the count
 * changes. Snapshot: tracked pids, count, status and pending delay timers (the runtime re-arms those).
 */
import fs from 'node:fs';
import { defineActor, type ActorContext } from '../runtime';

export const DEFAULT_POLL_MS = 200;
/** keepalived's quorum_max default (UINT_MAX), kept msgpack-friendly. */
export const QUORUM_MAX_UNBOUNDED = 0xffffffff;

export type ParamMatch = 'none' | 'exact' | 'initial' | 'partial';

export interface ProcessSpec {
  /** `process` name (comm) or path (argv[0] with full_command) */
  process: string;
  /** parameters after the process name in `process NAME ARGS…` */
  params?: string[];
  paramMatch: ParamMatch;
  fullCommand: boolean;
  quorum: number;
  quorumMax: number;
}

/** A process seen in /proc. `cmdline` only when some spec needs it (full_command). */
export interface ProcInfo {
  pid: number;
  ppid: number;
  starttime: string;
  comm: string;
  cmdline?: string[];
}

/**
 * The spec as keepalived's parser leaves it: parameters imply full_command and (unless set) exact
 * matching; `param_match` implies full_command.
 */
export function processSpec(p: { process: string; param?: string[]; paramMatch?: string; fullCommand?: boolean; quorum?: number; quorumMax?: number }): ProcessSpec {
  const params = p.param && p.param.length > 0 ? p.param : undefined;
  let paramMatch: ParamMatch = 'none';
  let full = !!p.fullCommand;
  if (p.paramMatch !== undefined) {
    paramMatch = p.paramMatch === 'initial' ? 'initial' : p.paramMatch === 'partial' ? 'partial' : 'exact';
    full = true;
  }
  if (params) {
    if (paramMatch === 'none') paramMatch = 'exact';
    full = true;
  }
  let quorum = p.quorum ?? 1;
  const quorumMax = p.quorumMax ?? QUORUM_MAX_UNBOUNDED;
  if (p.quorumMax === 0) quorum = 0;
  return { process: p.process, ...(params ? { params } : {}), paramMatch, fullCommand: full, quorum, quorumMax };
}

/** keepalived's check_params(): params are compared as their NUL-joined bytes. */
export function checkParams(spec: ProcessSpec, args: readonly string[]): boolean {
  const have = args.length ? Buffer.from(args.join('\0') + '\0') : Buffer.alloc(0);
  const want = spec.params ? Buffer.from(spec.params.join('\0') + '\0') : undefined;
  if (spec.paramMatch === 'exact' && !want && have.length === 0) return true;
  const wantLen = want?.length ?? 0;
  if (have.length < wantLen) return false;
  if (spec.paramMatch === 'exact') return have.length === wantLen && (!want || have.equals(want));
  if (!want) return true;
  if (spec.paramMatch === 'partial') return have.subarray(0, wantLen).equals(want);
  // initial: the last parameter may be the start of the process's argument
  return wantLen === 1 || have.subarray(0, wantLen - 1).equals(want.subarray(0, wantLen - 1));
}

export function processMatches(spec: ProcessSpec, p: ProcInfo): boolean {
  if (spec.fullCommand) {
    const argv = p.cmdline;
    if (!argv || argv.length === 0 || argv[0] !== spec.process) return false;
  } else if (p.comm !== spec.process) return false;
  if (spec.paramMatch === 'none') return true;
  return checkParams(spec, (p.cmdline ?? []).slice(1));
}

/** /proc/PID/stat → comm, state, ppid, starttime (comm may contain ')' and spaces). */
export function parseStat(text: string): { comm: string; state: string; ppid: number; starttime: string } | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  // fields after comm: state(3) ppid(4) … starttime(22)
  return { comm: text.slice(open + 1, close), state: rest[0] ?? '', ppid: Number(rest[1]), starttime: rest[19] ?? '' };
}

/** cmdline of a process as its arguments (NUL separated; a trailing NUL ends the last one). */
export function parseCmdline(buf: Buffer): string[] {
  if (buf.length === 0) return [];
  const s = buf.toString('utf8');
  const parts = s.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

interface CmdCacheEntry { starttime: string; comm: string; cmdline: string[] }

/**
 * One pass over /proc: every live (non-zombie) process with its parent and start time; cmdline read
 * only when `withCmdline` (cached per pid until its start time or comm changes — an exec changes comm,
 * as keepalived reads cmdline only on exec).
 */
export function scanProc(withCmdline: boolean, cache?: Map<number, CmdCacheEntry>, procDir = '/proc'): Map<number, ProcInfo> {
  const out = new Map<number, ProcInfo>();
  let names: string[];
  try {
    names = fs.readdirSync(procDir);
  } catch {
    return out;
  }
  for (const n of names) {
    const c = n.charCodeAt(0);
    if (c < 49 || c > 57) continue; // keepalived: d_name[0] in '1'..'9'
    const pid = Number(n);
    if (!Number.isInteger(pid)) continue;
    let st;
    try {
      st = parseStat(fs.readFileSync(`${procDir}/${n}/stat`, 'latin1'));
    } catch {
      continue; // exited meanwhile
    }
    if (!st || st.state === 'Z') continue;
    const info: ProcInfo = { pid, ppid: st.ppid, starttime: st.starttime, comm: st.comm };
    if (withCmdline) {
      const hit = cache?.get(pid);
      if (hit && hit.starttime === st.starttime && hit.comm === st.comm) info.cmdline = hit.cmdline;
      else {
        try {
          info.cmdline = parseCmdline(fs.readFileSync(`${procDir}/${n}/cmdline`));
        } catch {
          continue;
        }
        cache?.set(pid, { starttime: st.starttime, comm: st.comm, cmdline: info.cmdline });
      }
    }
    out.set(pid, info);
  }
  if (cache) for (const pid of cache.keys()) if (!out.has(pid)) cache.delete(pid);
  return out;
}

// ------------------------------------------------------------------ the quorum machine (pure)

export interface QuorumState {
  /** tracked pids with their start time (a reused pid is another process) */
  pids: [number, string][];
  count: number;
  /** quorum as keepalived's have_quorum (after delays) */
  have: boolean;
  forkTimer: boolean;
  terminateTimer: boolean;
}

export interface QuorumDelays {
  forkDelayMs: number;
  terminateDelayMs: number;
}

export function inQuorum(spec: Pick<ProcessSpec, 'quorum' | 'quorumMax'>, n: number): boolean {
  return n >= spec.quorum && n <= spec.quorumMax;
}

/** Start-up (initialise_process_tracking_priorities): count what runs now, no delay. */
export function initialQuorum(spec: ProcessSpec, procs: ReadonlyMap<number, ProcInfo>): QuorumState {
  const pids: [number, string][] = [];
  for (const p of procs.values()) if (processMatches(spec, p)) pids.push([p.pid, p.starttime]);
  pids.sort((a, b) => a[0] - b[0]);
  return { pids, count: pids.length, have: inQuorum(spec, pids.length), forkTimer: false, terminateTimer: false };
}

/** Apply one /proc scan as keepalived's sequence of events (removals, then additions in pid order). */
export function applyScan(prev: QuorumState, spec: ProcessSpec, delays: QuorumDelays, procs: ReadonlyMap<number, ProcInfo>): QuorumState {
  const s: QuorumState = { ...prev, pids: [] };
  const tracked = new Map(prev.pids);
  const update = (v: boolean): void => {
    s.have = v;
  };
  // removals
  for (const [pid, start] of prev.pids) {
    const p = procs.get(pid);
    const same = p !== undefined && p.starttime === start;
    if (same && processMatches(spec, p)) continue;
    tracked.delete(pid);
    const old = s.count--;
    if (!(old === spec.quorum || s.count === spec.quorumMax)) continue;
    if (same) {
      // exec or comm change of a tracked process (remove_process_from_track)
      s.forkTimer = false;
      update(s.count === spec.quorumMax);
    } else if (s.forkTimer) {
      // exit (check_process_termination) while a fork was being waited for
      s.forkTimer = false;
      update(s.count === spec.quorumMax);
    } else if (delays.terminateDelayMs > 0) {
      s.terminateTimer = true;
    } else {
      update(s.count === spec.quorumMax);
    }
  }
  // additions
  const fresh = [...procs.values()].filter((p) => !tracked.has(p.pid) && processMatches(spec, p)).sort((a, b) => a.pid - b.pid);
  for (const p of fresh) {
    const fork = tracked.has(p.ppid);
    tracked.set(p.pid, p.starttime);
    s.count++;
    if (!(s.count === spec.quorum || s.count === spec.quorumMax + 1)) continue;
    if (!fork) {
      // exec of a matching process (check_process)
      s.terminateTimer = false;
      update(s.count === spec.quorum);
    } else if (s.terminateTimer) {
      s.terminateTimer = false;
      update(s.count === spec.quorum);
    } else if (delays.forkDelayMs > 0) {
      s.forkTimer = true;
    } else {
      update(s.count === spec.quorum);
    }
  }
  s.pids = [...tracked.entries()].sort((a, b) => a[0] - b[0]);
  return s;
}

/** A fork/terminate delay expired (process_{gained,lost}_quorum_timer_thread). */
export function quorumTimer(prev: QuorumState, spec: ProcessSpec, which: 'fork' | 'terminate'): QuorumState {
  return {
    ...prev,
    forkTimer: which === 'fork' ? false : prev.forkTimer,
    terminateTimer: which === 'terminate' ? false : prev.terminateTimer,
    have: inQuorum(spec, prev.count),
  };
}

/**
 * The `running` to hand computeEffective() (which derives ok from quorum ≤ running ≤ quorum_max) so
 * that it sees keepalived's delayed `have` rather than the raw count while a delay is pending.
 */
export function runningForStatus(spec: Pick<ProcessSpec, 'quorum' | 'quorumMax'>, count: number, have: boolean): number {
  if (have === inQuorum(spec, count)) return count;
  if (have) return spec.quorum;
  return spec.quorum > 0 ? spec.quorum - 1 : spec.quorumMax + 1;
}

// ------------------------------------------------------------------ the actor

export interface ProcessMonitorInit {
  name: string;
  spec: ProcessSpec;
  delays: QuorumDelays;
  pollMs?: number;
  /** the state the main thread computed at start-up (its report must not be repeated) */
  initial: QuorumState;
}

export type ToProcessMonitor = { type: 'scan' };
export type ProcessReport = { type: 'process'; name: string; have: boolean; running: number };
export type FromProcessMonitor = ProcessReport;

interface Working {
  init: ProcessMonitorInit;
  st: QuorumState;
  cache: Map<number, CmdCacheEntry>;
}

type Ctx = ActorContext<FromProcessMonitor, Working>;

function commit(ctx: Ctx, w: Working, next: QuorumState): void {
  const prev = w.st;
  w.st = next;
  const { delays } = w.init;
  if (next.forkTimer && !prev.forkTimer) ctx.setTimer('fork', ctx.now() + delays.forkDelayMs);
  else if (!next.forkTimer && prev.forkTimer) ctx.clearTimer('fork');
  if (next.terminateTimer && !prev.terminateTimer) ctx.setTimer('terminate', ctx.now() + delays.terminateDelayMs);
  else if (!next.terminateTimer && prev.terminateTimer) ctx.clearTimer('terminate');
  const changed = next.have !== prev.have || next.count !== prev.count || next.pids.length !== prev.pids.length
    || next.pids.some(([p, s], i) => prev.pids[i]?.[0] !== p || prev.pids[i]?.[1] !== s);
  if (changed || next.forkTimer !== prev.forkTimer || next.terminateTimer !== prev.terminateTimer) ctx.report(next);
  if (next.have !== prev.have || next.count !== prev.count) {
    ctx.send({ type: 'process', name: w.init.name, have: next.have, running: next.count });
  }
}

function scan(ctx: Ctx, w: Working): void {
  const procs = scanProc(w.init.spec.fullCommand, w.cache);
  commit(ctx, w, applyScan(w.st, w.init.spec, w.init.delays, procs));
}

export const actor = defineActor<ToProcessMonitor, FromProcessMonitor, ProcessMonitorInit, Working>({
  start(ctx, init, snapshot) {
    const s = snapshot as QuorumState | undefined;
    const st = s && Array.isArray(s.pids) ? s : init.initial;
    ctx.state = { init, st, cache: new Map() };
    ctx.report(st);
    scan(ctx, ctx.state);
    ctx.setTimer('poll', ctx.now() + (init.pollMs ?? DEFAULT_POLL_MS));
  },

  receive(ctx, msg) {
    const w = ctx.state;
    if (!w) return;
    switch (msg.type) {
      case 'scan':
        scan(ctx, w);
        return;
      default: {
        const never: never = msg.type;
        ctx.log.warn({ msg: never }, 'process monitor: unknown message dropped');
      }
    }
  },

  timer(ctx, name) {
    const w = ctx.state;
    if (!w) return;
    if (name === 'poll') {
      ctx.setTimer('poll', ctx.now() + (w.init.pollMs ?? DEFAULT_POLL_MS));
      scan(ctx, w);
    } else if (name === 'fork' || name === 'terminate') {
      commit(ctx, w, quorumTimer(w.st, w.init.spec, name));
    }
  },
});
