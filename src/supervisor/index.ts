/** Public surface of the actor runtime (STYLE.md §6): import from here, not from the files. */
import { request, DEFAULT_CONTROL_SOCKET, type ControlResponse } from './control';
import { KtsError } from '../util/errors';
import type { ActorState, HostState, SupervisorStats } from './types';

export { Supervisor } from './supervisor';
export type { SupervisorOptions, ResumeHook } from './supervisor';
export type {
  ActorStatus, ActorState, HostState, SupervisorState, SupervisorStats, SupervisorEvents, RestartEvent, FaultEvent,
  HostTerminatedEvent, ActorErrorInfo,
} from './types';
export type { ActorKind } from '../actors/runtime';
export { place, maxHosts, DEFAULT_PLACEMENT } from './placement';
export type { Pool, PlacementConfig, HostLoad, Placement } from './placement';
export { decideRestart, DEFAULT_RESTART_POLICY } from './policy';
export type { RestartPolicy, RestartDecision } from './policy';
export { ControlServer, DEFAULT_CONTROL_SOCKET, request } from './control';
export type { ControlHandlers, ControlResponse } from './control';
export type { FaultKind, TimerTable } from './messages';

export interface DumpStateOptions {
  socket?: string;
  format: 'json' | 'text';
  /** a command name ("dump-state", "stats", "reload") or a full JSON request; default dump-state */
  cmd?: string;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/**
 * Client side of the control socket (`keepalived-ts --dump-state`). Prints the answer as JSON or as a
 * readable table. Exit codes: 0 ok, 1 the daemon refused the request, 2 cannot reach the daemon.
 */
export async function dumpState(opts: DumpStateOptions): Promise<number> {
  const out = opts.out ?? process.stdout;
  const err = opts.err ?? process.stderr;
  const socket = opts.socket ?? DEFAULT_CONTROL_SOCKET;
  let req: unknown = { cmd: opts.cmd ?? 'dump-state' };
  if (opts.cmd && opts.cmd.trim().startsWith('{')) {
    try {
      req = JSON.parse(opts.cmd);
    } catch {
      err.write(`keepalived-ts: request is not valid JSON: ${opts.cmd}\n`);
      return 2;
    }
  }
  let resp: ControlResponse;
  try {
    resp = await request(socket, req);
  } catch (e) {
    const code = e instanceof KtsError ? e.code : 'E_CONTROL_CONNECT';
    err.write(`keepalived-ts: ${code}: ${(e as Error).message}\n`);
    return 2;
  }
  if (opts.format === 'json') {
    out.write(JSON.stringify(resp, null, 2) + '\n');
  } else if (!resp.ok) {
    err.write(`keepalived-ts: ${resp.error.code}: ${resp.error.message}\n`);
  } else {
    out.write(renderText(resp.cmd, resp.data));
  }
  return resp.ok ? 0 : 1;
}

export function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 120 ? `${m}m${s % 60}s` : `${Math.floor(m / 60)}h${m % 60}m`;
}

function statsText(s: SupervisorStats): string {
  const lat = s.restartLatencyMs;
  const drops = (d: Record<string, number>): string => Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' ') || '0';
  return (
    `actors ${s.actors}  hosts ${s.hosts}  spawned ${s.spawned}  restarts ${s.restarts}  faults ${s.faults}  ` +
    `hosts started ${s.hostsStarted} terminated ${s.hostsTerminated}\n` +
    `messages in ${s.messagesIn} out ${s.messagesOut}  dropped: supervisor ${drops(s.droppedAtSupervisor)}; hosts ${drops(s.droppedAtHosts)}\n` +
    `restart latency: n=${lat.count} p50=${lat.p50?.toFixed(1) ?? '-'}ms p99=${lat.p99?.toFixed(1) ?? '-'}ms\n`
  );
}

export function renderText(cmd: string, data: unknown): string {
  if (cmd === 'stats') return statsText(data as SupervisorStats);
  if (cmd !== 'dump-state') return JSON.stringify(data, null, 2) + '\n';
  const d = data as { actors: ActorState[]; hosts: HostState[]; stats: SupervisorStats; [k: string]: unknown };
  let s = 'ACTORS\n';
  s += table([
    ['ID', 'KIND', 'HOST', 'STATE', 'RESTARTS', 'UPTIME', 'MAILBOX', 'LAST ERROR'],
    ...d.actors.map((a) => [a.id, a.kind, a.host ?? '-', a.state.toUpperCase(), String(a.restarts), a.state === 'running' ? fmtMs(a.uptimeMs) : '-', String(a.mailbox), a.lastError ? a.lastError.reason : '']),
  ]);
  s += '\nHOSTS\n';
  s += table([
    ['ID', 'POOL', 'ACTORS', 'HANDLED', 'HEAP', 'LAST PONG'],
    ...d.hosts.map((h) => [h.id, h.pool, String(h.actors), String(h.handled), `${(h.heapUsed / 1048576).toFixed(1)}MB`, h.lastPongAgoMs === null ? '-' : `${h.lastPongAgoMs}ms ago`]),
  ]);
  s += '\nSTATS\n' + statsText(d.stats);
  for (const [k, v] of Object.entries(d)) {
    if (['actors', 'hosts', 'stats', 'version', 'pid', 'time'].includes(k)) continue;
    s += `\n${k.toUpperCase()}\n${JSON.stringify(v, null, 2)}\n`;
  }
  return s;
}
