/**
 * The observability view: one plain, serialisable picture of the daemon (instances, actors, hosts,
 * drops, reloads, config errors, notifier failures), derived from what the daemon already keeps —
 * the supervisor's state() and the daemon's vrrpState() — plus the few things only an observer can
 * know (transition history with reasons, restarts by reason, hangs; see recorder.ts).
 *
 * Pure: no clock, no IO. The metrics, the status page, the health/readiness answers and the
 * `--dump-state` tables are all computed from this one value.
 */
import type { SupervisorState } from '../supervisor';
import { canonicalIp } from '../protocol/addresses';
import type { CheckerStats } from '../actors/checker/actor';

/** keepalived's state numbers (vrrp.h VRRP_STATE_*), as keepalived-exporter exports them. */
export const STATE_NUMBER: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98 };

export interface ObsTransition {
  /** wall-clock ms since the epoch */
  atMs: number;
  from: string;
  to: string;
  reason: string;
}

export interface ObsInstance {
  name: string;
  interface: string;
  vrid: number;
  state: string;
  stateNumber: number;
  priority: number;
  effectivePriority: number;
  master: string | null;
  vips: string[];
  /** virtual_ipaddress_excluded */
  excludedVips: string[];
  /** garp_master_delay (s) */
  garpDelayS: number;
  vipsHeld: boolean;
  fault: boolean;
  faultReasons: string[];
  /** newest last, at most TRANSITIONS_KEPT */
  transitions: ObsTransition[];
  lastBecameMasterMs: number | null;
  counters: Record<string, number>;
  dropped: Record<string, number>;
}

export interface ObsActor {
  id: string;
  kind: string;
  state: string;
  host: string | null;
  restarts: number;
  restartsByReason: Record<string, number>;
  hangs: number;
  givenUp: boolean;
  lastError: string | null;
}

export interface ObsHost { id: string; pool: string; actors: number; handled: number; heapUsed: number; lastPongAgoMs: number | null }

/** One real server of the LVS half and its checkers (--dump-state `lvs.realServers` + the checker actors' snapshots). */
export interface ObsRealServer {
  /** keepalived's texts: "[192.0.2.1]:tcp:80" */
  vs: string;
  rs: string;
  up: boolean;
  /** configured weight plus the checkers' shares */
  weight: number;
  /** the weight in the IPVS table (set, or that would be set without IPVS); null: not in the table */
  tableWeight: number | null;
  checkers: ObsChecker[];
}

/** A checker's counts and last check (its actor's snapshot), by name. */
export interface ObsChecker extends CheckerStats {
  /** "TCP_CHECK#0": the check's type and its index in the real server */
  name: string;
  up: boolean;
}

export interface ObsVirtualServer { vs: string; quorumUp: boolean; realServers: number; up: number }

export interface ObsLvs { ipvs: string; virtualServers: ObsVirtualServer[]; realServers: ObsRealServer[] }

export interface ObsDrop { where: string; reason: string; count: number }

export interface ObsView {
  version: 1;
  timeMs: number;
  pid: number;
  uptimeMs: number;
  /** worst main-loop delay seen over the last second (ms) */
  loopLagMs: number;
  instances: ObsInstance[];
  actors: ObsActor[];
  hosts: ObsHost[];
  /** `runState`: keepalived's script state, 0 idle, 1 running, 2 requested termination, 3 forcing termination */
  scripts: { name: string; ok: boolean; runState: number }[];
  /** null without virtual servers (or with -P) */
  lvs: ObsLvs | null;
  drops: ObsDrop[];
  reloads: number;
  configErrors: number;
  /** notifier kind (notify, fifo, smtp) → error code → count */
  notifyFailures: Record<string, Record<string, number>>;
  /** restarts that left the actor table (stopped actors): kind → reason → count */
  restartsByKind: Record<string, Record<string, number>>;
  hangsByKind: Record<string, number>;
}

export const TRANSITIONS_KEPT = 10;

/** What the observer recorded beside the daemon's own state (recorder.ts). */
export interface ObsRecords {
  transitions: Map<string, ObsTransition[]>;
  restarts: Map<string, { kind: string; byReason: Record<string, number> }>;
  hangs: Map<string, { kind: string; count: number }>;
  notifyFailures: Record<string, Record<string, number>>;
  loopLagMs: number;
}

/** The shape of Daemon.vrrpState() this module reads (extra keys are ignored). */
export interface VrrpStateInput {
  daemon?: { pid?: number; uptimeMs?: number; reloads?: number; configErrors?: number };
  vrrp?: {
    instances?: Array<{
      name: string; interface: string; vrid: number; state: string; priority: number; effectivePriority: number;
      master: string | null; vips: string[]; excludedVips?: string[]; garpDelayS?: number; vipsHeld: boolean; fault: boolean; faultReasons: string[];
      counters: Record<string, number>; dropped: Record<string, number>;
    }>;
    sockets?: Array<{ key: string; dropped: Record<string, number> }>;
    scripts?: Array<{ name: string; ok: boolean; runState?: number }>;
  };
  lvs?: {
    ipvs: string;
    quorum: Record<string, boolean>;
    table: Array<{ vs: string; dests: Array<{ address: string; port: number; weight: number; fwd?: string }> }>;
    realServers: Array<{ id: string; rs: string; vs: string; vsId: string; up: boolean; weight: number; checkers: string[]; failed: string[] }>;
  };
}

/** The restart reason's class: "hang: …" → hang, "handle: boom" → handle. */
export function reasonClass(reason: string): string {
  const i = reason.indexOf(':');
  return (i > 0 ? reason.slice(0, i) : reason).trim() || 'unknown';
}

/** Counters only grow: of two reports of one counter the larger is the newer. */
function freshest(a: Record<string, number>, b: Record<string, number> | undefined): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b ?? {})) if (typeof v === 'number' && !(v <= (out[k] ?? -1))) out[k] = v;
  return out;
}

export function buildView(sup: SupervisorState, vrrp: VrrpStateInput, rec: ObsRecords, nowMs: number): ObsView {
  const v = vrrp.vrrp ?? {};
  // a VRRP actor reports its snapshot after every step, but sends effects only when it must act:
  // a BACKUP's advert counters are fresh only in the snapshot
  const snapCounters = new Map<string, Record<string, number>>();
  for (const a of sup.actors) {
    const c = a.kind === 'vrrp' ? (a.snapshot as { counters?: unknown } | null)?.counters : undefined;
    if (c && typeof c === 'object') snapCounters.set(a.id, c as Record<string, number>);
  }
  const instances: ObsInstance[] = (v.instances ?? []).map((i) => {
    const tr = rec.transitions.get(i.name) ?? [];
    let lastMaster: number | null = null;
    for (const t of tr) if (t.to === 'MASTER') lastMaster = t.atMs;
    return {
      name: i.name, interface: i.interface, vrid: i.vrid, state: i.state, stateNumber: STATE_NUMBER[i.state] ?? 0,
      priority: i.priority, effectivePriority: i.effectivePriority, master: i.master, vips: i.vips, vipsHeld: i.vipsHeld,
      excludedVips: i.excludedVips ?? [], garpDelayS: i.garpDelayS ?? 0,
      fault: i.fault, faultReasons: i.faultReasons, transitions: tr.slice(-TRANSITIONS_KEPT), lastBecameMasterMs: lastMaster,
      counters: freshest(i.counters, snapCounters.get(`vrrp:${i.name}`)), dropped: { ...i.dropped },
    };
  });
  const restartsByKind: Record<string, Record<string, number>> = {};
  const hangsByKind: Record<string, number> = {};
  for (const r of rec.restarts.values()) {
    const k = (restartsByKind[r.kind] ??= {});
    for (const [reason, n] of Object.entries(r.byReason)) k[reason] = (k[reason] ?? 0) + n;
  }
  for (const h of rec.hangs.values()) hangsByKind[h.kind] = (hangsByKind[h.kind] ?? 0) + h.count;
  const actors: ObsActor[] = sup.actors.map((a) => ({
    id: a.id, kind: a.kind, state: a.state, host: a.host, restarts: a.restarts,
    restartsByReason: { ...(rec.restarts.get(a.id)?.byReason ?? {}) }, hangs: rec.hangs.get(a.id)?.count ?? 0,
    givenUp: a.state === 'fault', lastError: a.lastError ? a.lastError.reason : null,
  }));
  const hosts: ObsHost[] = sup.hosts.map((h) => ({ id: h.id, pool: h.pool, actors: h.actors, handled: h.handled, heapUsed: h.heapUsed, lastPongAgoMs: h.lastPongAgoMs }));
  const drops: ObsDrop[] = [];
  const add = (where: string, m: Record<string, number> | undefined): void => {
    for (const [reason, count] of Object.entries(m ?? {})) if (count > 0) drops.push({ where, reason, count });
  };
  for (const i of instances) add(`instance:${i.name}`, i.dropped);
  for (const s of v.sockets ?? []) add('socket', s.dropped);
  add('supervisor', sup.stats.droppedAtSupervisor);
  add('hosts', sup.stats.droppedAtHosts);
  return {
    version: 1, timeMs: nowMs, pid: vrrp.daemon?.pid ?? 0, uptimeMs: vrrp.daemon?.uptimeMs ?? 0, loopLagMs: rec.loopLagMs,
    instances, actors, hosts, scripts: (v.scripts ?? []).map((s) => ({ name: s.name, ok: s.ok, runState: s.runState ?? 0 })),
    lvs: vrrp.lvs ? lvsView(vrrp.lvs, sup) : null, drops,
    reloads: vrrp.daemon?.reloads ?? 0, configErrors: vrrp.daemon?.configErrors ?? 0,
    notifyFailures: structuredClone(rec.notifyFailures), restartsByKind, hangsByKind,
  };
}

type CheckerSnap = { stats?: Partial<CheckerStats> };

/**
 * The weight a real server has in its virtual server's IPVS services, null when it is not there. A
 * destination's port is the real server's own for NAT; DR and TUN (and a NAT real server without a
 * port) take the service's.
 */
function tableWeight(r: { rs: string }, ds: Array<{ address: string; port: number; weight: number; fwd?: string }>): number | null {
  const m = /^\[(.*)\]:[a-z]+:(\d+)$/.exec(r.rs);
  if (!m) return null;
  const address = canonicalIp(m[1]!);
  const port = Number(m[2]);
  const d = ds.find((x) => canonicalIp(x.address) === address && (x.port === port || port === 0 || (x.fwd !== undefined && x.fwd !== 'masq')));
  return d ? d.weight : null;
}

/** The LVS rows: real servers with their checkers (from the checker actors' snapshots), virtual servers with their quorum. */
function lvsView(l: NonNullable<VrrpStateInput['lvs']>, sup: SupervisorState): ObsLvs {
  const snaps = new Map<string, CheckerSnap>();
  for (const a of sup.actors) if (a.kind === 'checker' && a.snapshot && typeof a.snapshot === 'object') snaps.set(a.id, a.snapshot as CheckerSnap);
  const dests = new Map<string, Array<{ address: string; port: number; weight: number; fwd?: string }>>();
  for (const e of l.table) dests.set(e.vs, [...(dests.get(e.vs) ?? []), ...e.dests]);
  const realServers: ObsRealServer[] = l.realServers.map((r) => ({
    vs: r.vs, rs: r.rs, up: r.up, weight: r.weight, tableWeight: tableWeight(r, dests.get(r.vsId) ?? []),
    checkers: r.checkers.map((id) => {
      const sn = snaps.get(id);
      const st = sn?.stats ?? {};
      return {
        name: id.slice(id.lastIndexOf('/') + 1), up: !r.failed.includes(id), success: st.success ?? 0, failure: st.failure ?? 0, lost: st.lost ?? 0,
        lastMs: st.lastMs ?? null, lastOk: st.lastOk ?? null, lastReason: st.lastReason ?? '',
      };
    }),
  }));
  const vss = new Map<string, ObsVirtualServer>();
  for (const r of l.realServers) {
    const v = vss.get(r.vsId) ?? { vs: r.vs, quorumUp: l.quorum[r.vsId] ?? true, realServers: 0, up: 0 };
    v.realServers++;
    if (r.up) v.up++;
    vss.set(r.vsId, v);
  }
  return { ipvs: l.ipvs, virtualServers: [...vss.values()], realServers };
}

export interface Verdict { ok: boolean; reasons: string[] }

export const MAX_LOOP_LAG_MS = 1000;

/**
 * Liveness: the main loop answers (the view is fresh and its lag under 1 s) and no actor has been
 * given up. An actor in restart is healthy: a probe must never kill the daemon whose restarts keep the VIP.
 * `ageMs`: how old the view is where it is judged (0 on the main thread).
 */
export function health(view: ObsView, ageMs = 0): Verdict {
  const reasons: string[] = [];
  if (ageMs >= MAX_LOOP_LAG_MS) reasons.push(`main loop silent for ${Math.round(ageMs)} ms`);
  if (view.loopLagMs >= MAX_LOOP_LAG_MS) reasons.push(`main loop lag ${Math.round(view.loopLagMs)} ms`);
  for (const a of view.actors) if (a.givenUp) reasons.push(`actor ${a.id} given up${a.lastError ? ` (${a.lastError})` : ''}`);
  return { ok: reasons.length === 0, reasons };
}

/** Readiness: the instance (or every instance) is MASTER or BACKUP — not INIT, FAULT or STOP. */
export function readiness(view: ObsView, instance?: string): Verdict {
  const list = instance === undefined ? view.instances : view.instances.filter((i) => i.name === instance);
  if (instance !== undefined && list.length === 0) return { ok: false, reasons: [`no instance ${instance}`] };
  const reasons = list.filter((i) => i.state !== 'MASTER' && i.state !== 'BACKUP').map((i) => `${i.name} is ${i.state}`);
  return { ok: reasons.length === 0, reasons };
}

/** What the main thread sends the HTTP worker at the moment of a transition (before its log line). */
export interface TransitionPatch {
  instance: string;
  t: ObsTransition;
  effectivePriority?: number;
  master?: string | null;
  vipsHeld?: boolean;
  counters?: Record<string, number>;
}

/** Apply a transition to a view in place (the full view that follows replaces it anyway). */
export function applyTransition(view: ObsView, p: TransitionPatch): void {
  const i = view.instances.find((x) => x.name === p.instance);
  if (!i) return;
  i.state = p.t.to;
  i.stateNumber = STATE_NUMBER[p.t.to] ?? 0;
  i.transitions = [...i.transitions, p.t].slice(-TRANSITIONS_KEPT);
  if (p.t.to === 'MASTER') i.lastBecameMasterMs = p.t.atMs;
  if (p.effectivePriority !== undefined) i.effectivePriority = p.effectivePriority;
  if (p.master !== undefined) i.master = p.master;
  if (p.vipsHeld !== undefined) i.vipsHeld = p.vipsHeld;
  if (p.counters) i.counters = { ...i.counters, ...p.counters };
  view.timeMs = Math.max(view.timeMs, p.t.atMs);
}
