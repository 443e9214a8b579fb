/**
 * The IPVS table keepalived would hold for a configuration, given each real server's health:
 * pure, no kernel, no clock. Rules from keepalived 2.2.7 (check/check_data.c validation,
 * check/ipwrapper.c, check/ipvswrapper.c), described in keepalived.conf(5):
 * - a virtual_server with no real_server is ignored;
 * - a real server that is down is removed, or kept with weight 0 under `inhibit_on_failure`;
 * - quorum: when the sum of the weights of the live real servers falls below `quorum` (minus
 *   `hysteresis` while up, plus it while down), the quorum is lost; with a `sorry_server`, the live
 *   real servers then leave the pool (inhibited ones go to weight 0) and the sorry server enters it
 *   (weight 1); a `sorry_server_inhibit` sorry server stays in the table at weight 0 otherwise;
 * - `alpha`: real servers with checkers start down (see initialHealth); `omega` only changes
 *   notifications at stop;
 * - NAT destinations keep their own port (a real server without one takes the virtual server's, a
 *   sorry server stays at 0); DR and TUN destinations take the virtual server's port (0 for a
 *   firewall mark);
 * - a virtual_server_group expands into one service per address in each range and per fwmark.
 */
import type { KeepalivedConfig, RealServer, VirtualServer, VirtualServerGroup } from '../../config/model';
import { ipToBuffer, bufferToIp, ipFamily, canonicalIp } from '../../protocol/addresses';
import { SvcFlag, hostPort, type FwdMethod, type IpvsDest, type IpvsService, type ServiceKey } from '../../protocol/ipvs';
import type { FlushOnStop } from './reconcile';

/** What the checkers decided about one real server. */
export interface RsHealth {
  up: boolean;
  /** a weight set at run time (misc_dynamic, FILE_CHECK); default: the configured weight */
  weight?: number;
}

export interface DesiredEntry {
  /** the virtual_server this service comes from (vsId) */
  vs: string;
  service: IpvsService;
  dests: IpvsDest[];
}

export interface DesiredTable {
  entries: DesiredEntry[];
  /** quorum state per virtual server after this computation (feed it back for hysteresis) */
  quorumUp: Map<string, boolean>;
}

/** Stable name of a virtual_server: "TCP 192.0.2.1:80", "FWM 7", "group NAME TCP". */
export function vsId(vs: VirtualServer): string {
  if (vs.group !== undefined) return `group ${vs.group} ${vs.protocol}`;
  if (vs.fwmark !== undefined) return `FWM ${vs.fwmark}`;
  return `${vs.protocol} ${hostPort(vs.address ?? '', vs.port ?? 0)}`;
}

/** Stable name of a real_server inside its virtual_server: "TCP 192.0.2.1:80 -> 198.51.100.2:80". */
export function rsId(vs: VirtualServer, rs: RealServer): string {
  return `${vsId(vs)} -> ${hostPort(rs.address, rs.port ?? 0)}`;
}

const extraArgs = (extra: Record<string, string[][]>, key: string): string[] | undefined => extra[key]?.[extra[key]!.length - 1];
const extraNum = (extra: Record<string, string[][]>, key: string): number | undefined => {
  const a = extraArgs(extra, key)?.[0];
  return a !== undefined && /^\d+$/.test(a) ? Number(a) : undefined;
};

const KIND_FWD: Record<'NAT' | 'DR' | 'TUN', FwdMethod> = { NAT: 'masq', DR: 'route', TUN: 'tunnel' };

function fwdOf(kindArgs: string[] | undefined, vs: VirtualServer): FwdMethod {
  const k = kindArgs?.[0]?.toUpperCase();
  return k === 'NAT' || k === 'DR' || k === 'TUN' ? KIND_FWD[k] : KIND_FWD[vs.lbKind];
}

/**
 * The virtual server's address family: `ip_family`, its address, its group's first address, else
 * its sorry server's or first non-tunnelled real server's (keepalived's vs_end_handler), else IPv4.
 * Real servers of the other family are skipped unless tunnelled.
 */
function vsFamily(vs: VirtualServer, groups: Record<string, VirtualServerGroup>): 4 | 6 {
  const fam = extraArgs(vs.extra, 'ip_family')?.[0];
  if (fam === 'inet') return 4;
  if (fam === 'inet6') return 6;
  if (vs.address !== undefined) return vs.family;
  if (vs.group !== undefined) {
    const g = groups[vs.group];
    const addr = g?.members.find((m) => m.address !== '');
    if (addr) return ipFamily(addr.address) ?? 4;
  }
  if (vs.sorryServer && fwdOf(extraArgs(vs.extra, 'sorry_server_lvs_method'), vs) !== 'tunnel') return ipFamily(vs.sorryServer.address) ?? 4;
  const nonTun = vs.realServers.find((rs) => fwdOf(extraArgs(rs.extra, 'lvs_method'), vs) !== 'tunnel');
  if (nonTun) return ipFamily(nonTun.address) ?? 4;
  const fams = new Set(vs.realServers.map((rs) => ipFamily(rs.address)));
  return fams.size === 1 && fams.has(6) ? 6 : 4;
}

/** keepalived's lb flags: ops, flag-1..3, sh-port/sh-fallback (sh only), mh-port/mh-fallback (mh only). */
function serviceFlags(vs: VirtualServer): number {
  let f = vs.ops ? SvcFlag.ONEPACKET : 0;
  const has = (k: string) => vs.extra[k] !== undefined;
  if (has('flag-1')) f |= SvcFlag.SCHED1;
  if (has('flag-2')) f |= SvcFlag.SCHED2;
  if (has('flag-3')) f |= SvcFlag.SCHED3;
  if (vs.lbAlgo === 'sh' || vs.lbAlgo === 'mh') {
    if (has(`${vs.lbAlgo}-fallback`)) f |= SvcFlag.SCHED1;
    if (has(`${vs.lbAlgo}-port`)) f |= SvcFlag.SCHED2;
  }
  return f;
}

function granularity(text: string | undefined, family: 4 | 6): number {
  if (family === 6) return text !== undefined && /^\d+$/.test(text) ? Number(text) : 128;
  if (text === undefined || ipFamily(text) !== 4) return 0xffffffff;
  return ipToBuffer(text).readUInt32BE(0);
}

/** keepalived's IPVS_SVC_PERSISTENT_TIMEOUT, for an address service with port 0 and no persistence */
const DEFAULT_PERSISTENCE = 360;

function serviceFields(vs: VirtualServer, family: 4 | 6, groups: Record<string, VirtualServerGroup>): Omit<IpvsService, keyof ServiceKey | 'family'> {
  // keepalived's validation (check_data.c): one-packet scheduling only for UDP on an address
  // service; an address service (or group address) on port 0 must be persistent
  const byAddress = vs.group !== undefined ? (groups[vs.group]?.members.some((m) => m.fwmark === undefined) ?? false) : vs.fwmark === undefined;
  const zeroPort = vs.group !== undefined
    ? (groups[vs.group]?.members.some((m) => m.fwmark === undefined && !m.port) ?? false)
    : vs.fwmark === undefined && !vs.port;
  const timeout = vs.persistenceTimeout ?? (zeroPort ? DEFAULT_PERSISTENCE : 0);
  const persistent = timeout > 0;
  const pe = extraArgs(vs.extra, 'persistence_engine')?.[0];
  let flags = serviceFlags(vs);
  if (byAddress && vs.protocol !== 'UDP') flags &= ~SvcFlag.ONEPACKET;
  return {
    scheduler: vs.lbAlgo,
    flags: flags | (persistent ? SvcFlag.PERSISTENT : 0),
    timeout: persistent ? timeout : 0,
    netmask: persistent ? granularity(vs.persistenceGranularity, family) : family === 6 ? 128 : 0xffffffff,
    ...(persistent && pe ? { peName: pe } : {}),
  };
}

/** The service keys of a virtual server (one, or one per group address and fwmark). */
function serviceKeys(vs: VirtualServer, family: 4 | 6, groups: Record<string, VirtualServerGroup>): ServiceKey[] {
  if (vs.fwmark !== undefined) return [{ family, fwmark: vs.fwmark }];
  if (vs.group === undefined) return [{ family, protocol: vs.protocol, address: canonicalIp(vs.address!), port: vs.port ?? 0 }];
  const g = groups[vs.group];
  if (!g) return [];
  const keys: ServiceKey[] = [];
  for (const m of g.members) {
    if (m.fwmark !== undefined) {
      keys.push({ family, fwmark: m.fwmark });
      continue;
    }
    const start = ipToBuffer(m.address.split('/')[0]!);
    const fam = start.length === 4 ? 4 : 6;
    const last = start.length - (fam === 4 ? 1 : 2);
    const first = fam === 4 ? start[last]! : start.readUInt16BE(last);
    const end = m.rangeEnd === undefined ? first : parseInt(m.rangeEnd, fam === 4 ? 10 : 16);
    for (let n = first; n <= end; n++) {
      const a = Buffer.from(start);
      if (fam === 4) a[last] = n;
      else a.writeUInt16BE(n, last);
      keys.push({ family: fam, protocol: vs.protocol, address: bufferToIp(a), port: m.port ?? 0 });
    }
  }
  return keys;
}

/**
 * The port a destination gets in one service (keepalived's ipvs_cmd / ipvs_group_cmd rules): DR
 * and TUN take the service's; NAT keeps its own, and a NAT real server without one takes the
 * virtual server's (check_data.c validation, not for fwmark or group services). A NAT sorry
 * server without a port stays at port 0, as keepalived sends it.
 */
function destPort(configured: number | undefined, fwd: FwdMethod, key: ServiceKey, vs: VirtualServer, sorry = false): number {
  const svcPort = 'fwmark' in key ? 0 : key.port;
  if (fwd !== 'masq') return svcPort;
  if (configured !== undefined && configured !== 0) return configured;
  return !sorry && vs.group === undefined && vs.fwmark === undefined ? (vs.port ?? 0) : 0;
}

/**
 * `lvs_method TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]` on a real or sorry server:
 * the tunnel attributes as keepalived's libipvs sends them (port for GUE, flags unless IPIP).
 */
function tunnelOf(kindArgs: string[] | undefined): Pick<IpvsDest, 'tunType' | 'tunPort' | 'tunFlags'> {
  const a = kindArgs ?? [];
  const at = (k: string) => { const i = a.indexOf(k); return i >= 0 ? a[i + 1] : undefined; };
  const t = at('type');
  const tunType = t === 'gue' || t === 'gre' ? t : 'ipip';
  const csum = a.includes('remcsum') ? 2 : a.includes('csum') ? 1 : 0;
  return { tunType, ...(tunType === 'gue' ? { tunPort: Number(at('port') ?? 0) } : {}), ...(tunType !== 'ipip' ? { tunFlags: csum } : {}) };
}

function dest(address: string, port: number, fwd: FwdMethod, weight: number, extra: Record<string, string[][]>, kindArgs: string[] | undefined): IpvsDest {
  // the kernel reports addresses in canonical form (RFC 5952): compare like with like
  return {
    address: canonicalIp(address), family: ipFamily(address) ?? 4, port, fwd, weight,
    uThreshold: extraNum(extra, 'uthreshold') ?? 0,
    lThreshold: extraNum(extra, 'lthreshold') ?? 0,
    ...(fwd === 'tunnel' ? tunnelOf(kindArgs) : {}),
  };
}

/** keepalived clamps quorum to the total configured weight and hysteresis below quorum. */
export function effectiveQuorum(vs: VirtualServer): { quorum: number; hysteresis: number } {
  const total = vs.realServers.reduce((s, rs) => s + rs.weight, 0);
  const quorum = Math.min(vs.quorum, total);
  const hysteresis = quorum > 0 ? Math.min(vs.hysteresis, quorum - 1) : 0;
  return { quorum, hysteresis };
}

/**
 * Quorum after a change of live weight (keepalived's update_quorum_state): the threshold is
 * quorum − hysteresis while up, quorum + hysteresis while down. `previous` undefined = at start,
 * where keepalived sets up = live ≥ quorum + hysteresis.
 */
export function quorumState(live: number, q: { quorum: number; hysteresis: number }, previous: boolean | undefined): boolean {
  if (previous === undefined) return live >= q.quorum + q.hysteresis;
  const threshold = q.quorum + (previous ? -q.hysteresis : q.hysteresis);
  if (!previous) return live >= threshold;
  return !(live === 0 || live < threshold);
}

/**
 * Health before any check has run: up, unless `alpha` applies to one of its checkers (checker,
 * then real server, then virtual server `alpha`); a real server without checkers is always up.
 */
export function initialHealth(config: KeepalivedConfig): Map<string, RsHealth> {
  const out = new Map<string, RsHealth>();
  for (const vs of config.virtualServers) {
    for (const rs of vs.realServers) {
      const rsAlpha = rs.extra.alpha !== undefined ? extraArgs(rs.extra, 'alpha')?.[0] !== 'false' : vs.alpha;
      const down = rs.checkers.some((c) => c.alpha ?? rsAlpha);
      out.set(rsId(vs, rs), { up: !down });
    }
  }
  return out;
}

/** The desired IPVS table. `health` is keyed by rsId; a real server missing from it counts as up. */
export function desiredTable(config: KeepalivedConfig, health: ReadonlyMap<string, RsHealth>, previousQuorum?: ReadonlyMap<string, boolean>): DesiredTable {
  const entries: DesiredEntry[] = [];
  const quorumUp = new Map<string, boolean>();
  for (const vs of config.virtualServers) {
    if (vs.realServers.length === 0) continue;
    const id = vsId(vs);
    const family = vsFamily(vs, config.virtualServerGroups);
    // keepalived drops a real server that repeats an earlier one's address and port, and one of the
    // other address family unless it is tunnelled
    const seen = new Set<string>();
    const servers = vs.realServers.filter((rs) => {
      const k = `${canonicalIp(rs.address)} ${rs.port ?? 0}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return fwdOf(extraArgs(rs.extra, 'lvs_method'), vs) === 'tunnel' || ipFamily(rs.address) === family;
    });
    const state = servers.map((rs) => {
      const h = health.get(rsId(vs, rs)) ?? { up: true };
      return { rs, up: h.up, weight: h.weight ?? rs.weight, fwd: fwdOf(extraArgs(rs.extra, 'lvs_method'), vs) };
    });
    const live = state.reduce((s, x) => s + (x.up ? x.weight : 0), 0);
    const up = quorumState(live, effectiveQuorum(vs), previousQuorum?.get(id));
    quorumUp.set(id, up);
    const sorry = vs.sorryServer;
    const sorryActive = !up && sorry !== undefined;
    for (const key of serviceKeys(vs, family, config.virtualServerGroups)) {
      const dests: IpvsDest[] = [];
      for (const x of state) {
        // live servers leave the pool while the sorry server serves; inhibited ones stay at weight 0
        const inPool = x.up && !sorryActive;
        if (inPool || x.rs.inhibitOnFailure) dests.push(dest(x.rs.address, destPort(x.rs.port, x.fwd, key, vs), x.fwd, inPool ? x.weight : 0, x.rs.extra, extraArgs(x.rs.extra, 'lvs_method')));
      }
      if (sorry && (sorryActive || vs.sorryServerInhibit)) {
        const kind = extraArgs(vs.extra, 'sorry_server_lvs_method');
        const fwd = fwdOf(kind, vs);
        const d = dest(sorry.address, destPort(sorry.port, fwd, key, vs, true), fwd, sorryActive ? 1 : 0, {}, kind);
        if (!dests.some((e) => e.address === d.address && e.port === d.port)) dests.push(d);
      }
      entries.push({ vs: id, service: { ...key, ...serviceFields(vs, family, config.virtualServerGroups) }, dests });
    }
  }
  return { entries, quorumUp };
}

/** `lvs_flush` (flush the whole table at start) and `lvs_flush_on_stop` [VS] from global_defs. */
export function lvsFlushSettings(config: KeepalivedConfig): { flushAtStart: boolean; flushOnStop: FlushOnStop } {
  const stop = config.globalDefs.extra.lvs_flush_on_stop;
  const arg = stop?.[stop.length - 1]?.[0];
  return { flushAtStart: config.globalDefs.lvsFlush, flushOnStop: stop === undefined ? 'none' : arg === 'VS' ? 'vs' : 'full' };
}
