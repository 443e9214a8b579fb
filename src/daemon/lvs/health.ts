/**
 * The checkers' verdicts → one health per real server, and what changed, pure. As keepalived
 * (check/ipwrapper.c update_svr_checker_state / perform_svr_state / update_quorum_state): a real
 * server is alive while none of its checkers has failed; its weight is the configured weight plus
 * the shares its checkers set (misc_dynamic, FILE_CHECK weights); a change of aliveness is an
 * RS UP/DOWN event (notify_up/notify_down, the FIFO's `RS` line) and may change the virtual
 * server's quorum (quorum_up/quorum_down, the FIFO's `VS` line, the VS mail).
 */
import type { KeepalivedConfig } from '../../config/model';
import { planChecker, formatService, formatVs, type CheckerPlan } from '../../actors/checker/config';
import { effectiveQuorum, rsId, vsId, type RsHealth } from './desired';

export interface CheckerRef {
  plan: CheckerPlan;
  /** rsId / vsId of the real server it checks */
  rs: string;
  vs: string;
}

/** One real server as the main thread tracks it. */
export interface RsTrack {
  vs: string;
  /** keepalived's texts: "[198.51.100.1]:tcp:80", "[192.0.2.1]:tcp:80" */
  rsText: string;
  vsText: string;
  weight: number;
  inhibit: boolean;
  notifyUp?: string[];
  notifyDown?: string[];
  /** the real server's own smtp_alert */
  smtpAlert?: boolean;
  checkers: Set<string>;
  failed: Set<string>;
  offsets: Map<string, number>;
}

export interface LvsPlans {
  checkers: CheckerRef[];
  servers: Map<string, RsTrack>;
  errors: { code: string; message: string }[];
}

/** Every checker the config asks for, and the real servers they decide. */
export function planAll(cfg: KeepalivedConfig): LvsPlans {
  const checkers: CheckerRef[] = [];
  const servers = new Map<string, RsTrack>();
  const errors: LvsPlans['errors'] = [];
  for (const vs of cfg.virtualServers) {
    const v = vsId(vs);
    for (const rs of vs.realServers) {
      const r = rsId(vs, rs);
      if (servers.has(r)) continue;
      const t: RsTrack = {
        vs: v, rsText: formatService(rs.address, rs.port, vs.protocol), vsText: formatVs(vs), weight: rs.weight,
        inhibit: rs.inhibitOnFailure, notifyUp: rs.notifyUp?.argv, notifyDown: rs.notifyDown?.argv,
        ...(rs.smtpAlert !== undefined ? { smtpAlert: rs.smtpAlert } : {}),
        checkers: new Set(), failed: new Set(), offsets: new Map(),
      };
      servers.set(r, t);
      rs.checkers.forEach((c, i) => {
        const p = planChecker(cfg, vs, rs, c, i);
        if (!p.ok) {
          errors.push({ code: p.code, message: p.message });
          return;
        }
        checkers.push({ plan: p.plan, rs: r, vs: v });
        t.checkers.add(p.plan.id);
        // alpha: a checker starts failed until its first success
        if (p.plan.machine.alpha) t.failed.add(p.plan.id);
      });
    }
  }
  return { checkers, servers, errors };
}

export function healthOf(t: RsTrack): RsHealth {
  let offset = 0;
  for (const o of t.offsets.values()) offset += o;
  return { up: t.failed.size === 0, ...(offset !== 0 ? { weight: Math.max(0, t.weight + offset) } : {}) };
}

export function healthMap(servers: ReadonlyMap<string, RsTrack>): Map<string, RsHealth> {
  const out = new Map<string, RsHealth>();
  for (const [k, t] of servers) out.set(k, healthOf(t));
  return out;
}

/** A checker's verdict; true when the real server's health changed. */
export function applyResult(t: RsTrack, checker: string, up: boolean, weightOffset: number | undefined): boolean {
  const before = JSON.stringify(healthOf(t));
  if (up) t.failed.delete(checker);
  else t.failed.add(checker);
  if (weightOffset !== undefined) {
    if (weightOffset === 0) t.offsets.delete(checker);
    else t.offsets.set(checker, weightOffset);
  }
  return JSON.stringify(healthOf(t)) !== before;
}

/**
 * Carries the verdicts of checkers that survive a reload (same id, same plan) into the new tracks,
 * so a reload that leaves a real server alone leaves its health alone.
 */
export function carryOver(prev: ReadonlyMap<string, RsTrack>, next: Map<string, RsTrack>, kept: ReadonlySet<string>): void {
  for (const [k, t] of next) {
    const p = prev.get(k);
    if (!p) continue;
    for (const c of t.checkers) {
      if (!kept.has(c)) continue;
      if (p.failed.has(c)) t.failed.add(c);
      else t.failed.delete(c);
      const o = p.offsets.get(c);
      if (o !== undefined) t.offsets.set(c, o);
    }
  }
}

export type LvsEvent =
  | { kind: 'rs'; vs: string; rs: string; up: boolean }
  | { kind: 'vs'; vs: string; up: boolean; init: boolean; text: string };

/**
 * Events between two computations: real servers whose aliveness changed, virtual servers whose
 * quorum changed (`init`: the first computation).
 */
export function diffEvents(
  cfg: KeepalivedConfig, servers: ReadonlyMap<string, RsTrack>,
  beforeUp: ReadonlyMap<string, boolean>, afterUp: ReadonlyMap<string, boolean>,
  beforeQ: ReadonlyMap<string, boolean> | undefined, afterQ: ReadonlyMap<string, boolean>,
): LvsEvent[] {
  const ev: LvsEvent[] = [];
  for (const [k, t] of servers) {
    const a = afterUp.get(k);
    const b = beforeUp.get(k);
    if (a !== undefined && b !== undefined && a !== b) ev.push({ kind: 'rs', vs: t.vs, rs: k, up: a });
  }
  for (const vs of cfg.virtualServers) {
    const id = vsId(vs);
    const a = afterQ.get(id);
    const b = beforeQ?.get(id);
    if (a === undefined || a === b) continue;
    const init = b === undefined;
    // keepalived (update_quorum_state at init): the first state is reported only when it starts
    // down with a sorry server to add
    if (init && (a || !vs.sorryServer)) continue;
    let live = 0;
    for (const rs of vs.realServers) {
      const t = servers.get(rsId(vs, rs));
      if (t && afterUp.get(rsId(vs, rs))) live += healthOf(t).weight ?? t.weight;
    }
    const q = effectiveQuorum(vs);
    const text = a
      ? `${init ? 'Starting with quorum up' : 'Gained quorum'} ${q.quorum}+${q.hysteresis}=${q.quorum + q.hysteresis} <= ${live}`
      : `${init ? 'Starting with quorum down' : 'Lost quorum'} ${q.quorum}-${q.hysteresis}=${q.quorum - q.hysteresis} > ${live}`;
    ev.push({ kind: 'vs', vs: id, up: a, init, text });
  }
  return ev;
}
