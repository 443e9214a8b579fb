/**
 * The plain view the dump files are formatted from (src/daemon/dump-files.ts), built from what the
 * daemon's main thread holds: the config, each instance's resolved parameters, its last actor
 * snapshot, tracker status and drop counters, and the links and addresses netlink reported. Pure:
 * clocks and kernel facts come in as arguments.
 */
import type { GlobalDefs, VrrpInstance, VirtualAddress, KeepalivedConfig } from '../config';
import type { ResolvedInstance } from './instance';
import type { LinkState } from '../io';
import type { InstanceState } from '../actors/vrrp/types';
import type { DumpGlobal, DumpInstance, DumpInterface, DumpSocket, DumpStats, DumpState, DumpView } from './dump-files';

/** One running instance as the daemon's main thread holds it (the fields the dumps read). */
export interface InstanceFacts {
  vi: VrrpInstance;
  r: ResolvedInstance;
  state: InstanceState | null;
  vipsHeld: boolean;
  drops: Record<string, number>;
  trackers: { fault: boolean; effective: number; reasons: string[] };
  syncGroup?: string;
  smtpAlert: boolean;
}

export interface AddressFacts {
  family: 4 | 6;
  address: string;
  ifname: string | undefined;
  flags: string[];
}

/** The process facts the view needs, passed in so the builder stays pure. */
export interface Clocks {
  /** the actors' monotonic clock now, ms (monoNow) */
  monoMs: number;
  /** Date.now() */
  epochMs: number;
  /** process.umask(), for the dump's umask line */
  umask: number;
}

const toEpochS = (mono: number, c: Clocks): number => (c.epochMs + (mono - c.monoMs)) / 1000;

/** keepalived's format_ipaddress for a VIP: "192.0.2.100/24 dev eth0 scope global set". */
export function formatVip(v: Pick<VirtualAddress, 'address' | 'prefixLen' | 'brd' | 'dev' | 'scope' | 'label' | 'nodad' | 'noprefixroute'>, defaultDev: string, held: boolean): string {
  const parts = [`${v.address}/${v.prefixLen}`];
  if (v.brd) parts.push(`brd ${v.brd}`);
  parts.push(`dev ${v.dev ?? defaultDev}`, `scope ${v.scope ?? (v.address.startsWith('fe80') ? 'link' : 'global')}`);
  if (v.label) parts.push(`label ${v.label}`);
  if (v.nodad) parts.push('nodad');
  if (v.noprefixroute) parts.push('noprefixroute');
  if (held) parts.push('set');
  return parts.join(' ');
}

/** Our drop reasons (src/protocol/vrrp.ts) in keepalived's vrrp_stats counters; the actor's counters for the rest. */
export function dumpStats(state: InstanceState | null, drops: Record<string, number>): DumpStats {
  const c = state?.counters;
  const d = (...keys: string[]): number => keys.reduce((n, k) => n + (drops[k] ?? 0), 0);
  return {
    advertRcvd: c?.advertRcvd ?? 0,
    advertSent: c?.advertSent ?? 0,
    becomeMaster: c?.becomeMaster ?? 0,
    releaseMaster: c?.releaseMaster ?? 0,
    packetLenErr: d('too-short', 'bad-length'),
    advertIntervalErr: d('interval-mismatch'),
    ipTtlErr: d('bad-ttl'),
    invalidTypeRcvd: d('bad-type', 'bad-version'),
    addrListErr: d('addr-mismatch', 'bad-addr-count'),
    invalidAuthtype: d('bad-auth-type'),
    authtypeMismatch: d('auth-type-mismatch'),
    authFailure: d('auth-mismatch'),
    priZeroRcvd: c?.priorityZeroRcvd ?? 0,
    priZeroSent: c?.priorityZeroSent ?? 0,
  };
}

function dumpInstance(f: InstanceFacts, clocks: Clocks, scriptWeight: (name: string) => number): DumpInstance {
  const { vi, r, state } = f;
  const p = r.params;
  const st: DumpState = (state?.state ?? 'INIT') as DumpState;
  const masterAdverIntCs = state?.masterAdverIntCs ?? p.advertIntCs;
  const prio = state?.effectivePriority ?? f.trackers.effective;
  // RFC 3768 §6.1 / RFC 5798 §6.1: 3 × Master_Adver_Interval + Skew_Time
  const skewUs = p.version === 2 ? ((256 - prio) * 1e6) / 256 : ((256 - prio) * masterAdverIntCs * 1e4) / 256;
  const timers = state ? [state.timers.advert, state.timers.masterDown].filter((t): t is number => t !== null) : [];
  const cmd = (c: { raw: string } | undefined): string | undefined => c?.raw;
  return {
    name: vi.name,
    version: p.version,
    family: r.family,
    syncGroup: f.syncGroup,
    state: st,
    wantState: state?.syncWantMaster ? 'MASTER' : st,
    masterAddress: state?.masterAddress ?? null,
    masterPriority: st === 'MASTER' ? 0 : (state?.masterPriority ?? 0),
    masterAdverIntS: masterAdverIntCs / 100,
    unicast: r.peers.length > 0,
    configFaults: 0,
    trackerFaults: f.trackers.fault ? Math.max(1, f.trackers.reasons.length) : 0,
    scriptsInit: 0,
    lastTransition: state ? toEpochS(state.since, clocks) : clocks.epochMs / 1000,
    readTimeout: timers.length ? toEpochS(Math.min(...timers), clocks) : null,
    masterDownUsec: Math.round(3 * masterAdverIntCs * 1e4 + skewUs),
    ifname: r.ifname,
    dontTrackPrimary: vi.dontTrackPrimary,
    skipCheckAdvAddr: r.skipCheckAdvAddr,
    strict: r.strict,
    vmacIfname: r.vmac?.name ?? '',
    src: r.src,
    mcastGroup: r.group,
    garpDelayS: p.garp.masterDelayMs / 1000,
    garpRepeat: p.garp.masterRepeat,
    garpRefreshS: Math.floor(p.garp.masterRefreshMs / 1000),
    garpRefreshRepeat: p.garp.masterRefreshRepeat,
    garpLowerPrioDelayS: Math.floor(p.garp.lowerPrioDelayMs / 1000),
    garpLowerPrioRepeat: p.garp.lowerPrioRepeat,
    downTimerAdverts: 3,
    lowerPrioNoAdvert: p.lowerPrioNoAdvert,
    higherPrioSendAdvert: p.higherPrioSendAdvert,
    vrid: p.vrid,
    basePriority: p.priority,
    effectivePriority: prio,
    advertIntS: p.advertIntCs / 100,
    accept: p.accept,
    nopreempt: !p.preempt,
    preemptDelayS: Math.floor(p.preemptDelayMs / 1000),
    promoteSecondaries: false,
    authType: r.authType,
    authPass: r.authPass ?? null,
    vips: r.vips.map((v) => formatVip(v, r.vipIfname, f.vipsHeld)),
    evips: r.excluded.map((v) => formatVip(v, r.vipIfname, f.vipsHeld)),
    vipSet: f.vipsHeld,
    unicastPeers: r.peers.map((x) => ({ address: x.address, minTtl: x.minTtl ?? 0, maxTtl: x.maxTtl ?? 255 })),
    unicastTtl: vi.unicastTtl ?? 255,
    checkUnicastSrc: r.checkUnicastSrc,
    trackInterfaces: vi.trackInterfaces.map((t) => ({ name: t.name, weight: t.weight })),
    trackScripts: vi.trackScripts.map((t) => ({ name: t.name, weight: t.weight ?? scriptWeight(t.name), command: t.name })),
    smtpAlert: f.smtpAlert,
    notifyDeleted: false,
    scripts: {
      backup: cmd(vi.notifyBackup), master: cmd(vi.notifyMaster), fault: cmd(vi.notifyFault), stop: cmd(vi.notifyStop),
      deleted: cmd(vi.notifyDeleted), notify: cmd(vi.notify), masterRxLowerPri: cmd(vi.notifyMasterRxLowerPri),
    },
    stats: dumpStats(state, f.drops),
  };
}

const extraFlag = (g: GlobalDefs, k: string): boolean | null => {
  const v = g.extra[k]?.[0];
  if (!v) return null;
  return v.length === 0 || /^(on|true|yes)$/i.test(v[0] ?? '');
};

function dumpGlobal(g: GlobalDefs, umask: number): DumpGlobal {
  return {
    umask,
    routerId: g.routerId,
    defaultInterface: g.extra['default_interface']?.[0]?.[0] ?? 'eth0',
    dynamicInterfaces: g.dynamicInterfaces,
    lvsFlush: g.lvsFlush,
    mcastGroup4: g.vrrpMcastGroup4,
    mcastGroup6: g.vrrpMcastGroup6,
    garpDelayS: g.vrrpGarpMasterDelay,
    garpRepeat: g.vrrpGarpMasterRepeat,
    garpRefreshS: g.vrrpGarpMasterRefresh,
    garpRefreshRepeat: g.vrrpGarpMasterRefreshRepeat,
    garpLowerPrioDelayS: g.vrrpGarpLowerPrioDelay ?? g.vrrpGarpMasterDelay,
    garpLowerPrioRepeat: g.vrrpGarpLowerPrioRepeat ?? g.vrrpGarpMasterRepeat,
    downTimerAdverts: 3,
    lowerPrioNoAdvert: g.vrrpLowerPrioNoAdvert,
    higherPrioSendAdvert: g.vrrpHigherPrioSendAdvert,
    garpIntervalS: g.vrrpGarpInterval,
    gnaIntervalS: g.vrrpGnaInterval,
    vrrpVersion: g.vrrpVersion,
    checkUnicastSrc: g.vrrpCheckUnicastSrc,
    skipCheckAdvAddr: g.vrrpSkipCheckAdvAddr,
    strict: g.vrrpStrict,
    maxAutoPriority: g.maxAutoPriority ?? 0,
    minAutoPriorityDelayUsec: g.minAutoPriorityDelay ?? 1_000_000,
    vrrpPriority: g.vrrpPriority ?? 0,
    vrrpNoSwap: g.vrrpNoSwap,
    checkerPriority: g.checkerPriority ?? 0,
    checkerNoSwap: g.checkerNoSwap,
    bfdPriority: g.bfdPriority ?? 0,
    scriptSecurity: g.enableScriptSecurity,
    scriptUid: 0,
    scriptGid: 0,
    smtpAlert: extraFlag(g, 'smtp_alert'),
    smtpAlertVrrp: extraFlag(g, 'smtp_alert_vrrp'),
    smtpAlertChecker: extraFlag(g, 'smtp_alert_checker'),
  };
}

/** The whole view; `links` and `addresses` as netlink lists them (RTM_GETLINK / RTM_GETADDR). */
export function buildDumpView(
  cfg: KeepalivedConfig,
  instances: readonly InstanceFacts[],
  links: readonly LinkState[],
  addresses: readonly AddressFacts[],
  clocks: Clocks,
): DumpView {
  const g = cfg.globalDefs;
  const scriptWeight = (name: string): number => cfg.vrrpScripts[name]?.weight ?? 0;
  const insts = instances.map((f) => dumpInstance(f, clocks, scriptWeight));
  const socks = new Map<string, DumpSocket>();
  for (const f of instances) {
    const key = `${f.r.sockIfname}|${f.r.family}|${f.r.peers.length > 0}`;
    const unicast = f.r.peers.length > 0;
    const s = socks.get(key) ?? { ifname: f.r.sockIfname, family: f.r.family, unicast, address: unicast ? f.r.src : null, instances: [] };
    s.instances.push({ name: f.vi.name, vrid: f.r.params.vrid });
    socks.set(key, s);
  }
  const interfaces: DumpInterface[] = [...links].sort((a, b) => a.ifindex - b.ifindex).map((l) => {
    const mine = addresses.filter((a) => a.ifname === l.ifname);
    const v4 = mine.find((a) => a.family === 4 && !a.flags.includes('secondary'));
    const v6 = mine.find((a) => a.family === 6 && a.address.toLowerCase().startsWith('fe80')) ?? mine.find((a) => a.family === 6);
    const tracking = instances.filter((f) => f.r.ifname === l.ifname || f.vi.trackInterfaces.some((t) => t.name === l.ifname)).map((f) => ({
      name: f.vi.name,
      weight: f.vi.trackInterfaces.find((t) => t.name === l.ifname)?.weight ?? 0,
    }));
    return {
      name: l.ifname, index: l.ifindex, ipv4: v4?.address ?? null, ipv6: v6?.address ?? null, mac: l.mac ?? null,
      up: l.up, running: l.running, loopback: l.ifname === 'lo', mtu: l.mtu ?? 0, tracking,
    };
  });
  return { global: dumpGlobal(g, clocks.umask), instances: insts, sockets: [...socks.values()], interfaces };
}
