/**
 * IPVS generic-netlink payloads (family "IPVS", version 1), after linux include/uapi/linux/ip_vs.h.
 * Encoders build the attribute payload that follows the genetlink header; decoders read one reply
 * message's payload and return a typed reason instead of throwing on kernel input.
 *
 * Byte orders, as the kernel reads them: ports (service, dest, tunnel) are big-endian; the service
 * netmask is the raw u32 the kernel stores, so an IPv4 mask is big-endian (255.255.255.0 is
 * ff ff ff 00) while an IPv6 "mask" is a prefix length in host order; everything else is host
 * order (little-endian on the machines we run on).
 */
import { bufferToIp, ipToBuffer } from './addresses';
import { nlattr } from './nlattr';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const IpvsCmd = {
  NEW_SERVICE: 1, SET_SERVICE: 2, DEL_SERVICE: 3, GET_SERVICE: 4,
  NEW_DEST: 5, SET_DEST: 6, DEL_DEST: 7, GET_DEST: 8,
  NEW_DAEMON: 9, DEL_DAEMON: 10, GET_DAEMON: 11,
  SET_CONFIG: 12, GET_CONFIG: 13, SET_INFO: 14, GET_INFO: 15, ZERO: 16, FLUSH: 17,
} as const;
export type IpvsCmdName = keyof typeof IpvsCmd;

const CMD_ATTR = { SERVICE: 1, DEST: 2, DAEMON: 3, TIMEOUT_TCP: 4, TIMEOUT_TCP_FIN: 5, TIMEOUT_UDP: 6 } as const;
const SVC = { AF: 1, PROTOCOL: 2, ADDR: 3, PORT: 4, FWMARK: 5, SCHED_NAME: 6, FLAGS: 7, TIMEOUT: 8, NETMASK: 9, STATS: 10, PE_NAME: 11, STATS64: 12 } as const;
const DEST = {
  ADDR: 1, PORT: 2, FWD_METHOD: 3, WEIGHT: 4, U_THRESH: 5, L_THRESH: 6, ACTIVE_CONNS: 7, INACT_CONNS: 8,
  PERSIST_CONNS: 9, STATS: 10, ADDR_FAMILY: 11, STATS64: 12, TUN_TYPE: 13, TUN_PORT: 14, TUN_FLAGS: 15,
} as const;
const DAEMON = { STATE: 1, MCAST_IFN: 2, SYNC_ID: 3, SYNC_MAXLEN: 4, MCAST_GROUP: 5, MCAST_GROUP6: 6, MCAST_PORT: 7, MCAST_TTL: 8 } as const;
const INFO = { VERSION: 1, CONN_TAB_SIZE: 2 } as const;
const NLA_F_NESTED = 0x8000;
const NLA_TYPE_MASK = 0x3fff;

const AF_INET = 2;
const AF_INET6 = 10;

/** IP_VS_SVC_F_*: service flags (the scheduler flags keep their ipvsadm/keepalived names). */
export const SvcFlag = {
  PERSISTENT: 0x0001, HASHED: 0x0002, ONEPACKET: 0x0004, SCHED1: 0x0008, SCHED2: 0x0010, SCHED3: 0x0020,
} as const;

export type IpvsProtocol = 'TCP' | 'UDP' | 'SCTP';
const PROTO_NUM: Record<IpvsProtocol, number> = { TCP: 6, UDP: 17, SCTP: 132 };
const PROTO_NAME = new Map<number, IpvsProtocol>([[6, 'TCP'], [17, 'UDP'], [132, 'SCTP']]);

/** IP_VS_CONN_F_* forwarding methods: NAT = masq, DR = route, TUN = tunnel. */
export type FwdMethod = 'masq' | 'local' | 'tunnel' | 'route' | 'bypass';
const FWD: FwdMethod[] = ['masq', 'local', 'tunnel', 'route', 'bypass'];
export type TunnelType = 'ipip' | 'gue' | 'gre';
const TUN: TunnelType[] = ['ipip', 'gue', 'gre'];

/** A virtual service is named by protocol/address/port, or by firewall mark (and family). */
export type ServiceKey =
  | { family: 4 | 6; fwmark: number }
  | { family: 4 | 6; protocol: IpvsProtocol; address: string; port: number };

export type IpvsService = ServiceKey & {
  scheduler: string;
  /** IP_VS_SVC_F_* bits (PERSISTENT is set whenever timeout > 0) */
  flags: number;
  /** persistence timeout in seconds, 0 = not persistent */
  timeout: number;
  /** IPv4: the mask as a 32-bit number (0xffffffff for none); IPv6: the prefix length (128 for none) */
  netmask: number;
  /** persistence engine (e.g. "sip") */
  peName?: string;
};

export interface IpvsDest {
  address: string;
  /** the address's family (may differ from the service's for tunnelled destinations) */
  family: 4 | 6;
  port: number;
  fwd: FwdMethod;
  weight: number;
  uThreshold: number;
  lThreshold: number;
  tunType?: TunnelType;
  tunPort?: number;
  tunFlags?: number;
  /** read-only counters, only in dump replies */
  activeConns?: number;
  inactConns?: number;
  persistConns?: number;
}

export interface IpvsDaemon {
  state: 'master' | 'backup';
  mcastIfn: string;
  syncId: number;
  syncMaxlen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}

/** Connection timeouts in seconds; 0 in a SET_CONFIG leaves that timeout unchanged. */
export interface IpvsTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

export type IpvsDecoded<T> = { ok: true; value: T } | { ok: false; reason: IpvsDropReason };
export type IpvsDropReason = 'truncated' | 'no-service' | 'no-dest' | 'no-daemon' | 'missing-attr' | 'bad-family' | 'bad-value';

// ---------- attribute encoding ----------

const attr = nlattr;
const nest = (type: number, parts: Buffer[]): Buffer => attr(type | NLA_F_NESTED, Buffer.concat(parts));
const u8 = (t: number, v: number): Buffer => attr(t, Buffer.from([v & 0xff]));
function u16(t: number, v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16LE(v, 0); return attr(t, b); }
function be16(t: number, v: number): Buffer { const b = Buffer.alloc(2); b.writeUInt16BE(v, 0); return attr(t, b); }
function u32(t: number, v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0, 0); return attr(t, b); }
function be32(t: number, v: number): Buffer { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0, 0); return attr(t, b); }
const str = (t: number, s: string): Buffer => attr(t, Buffer.from(`${s}\0`, 'latin1'));
/** union nf_inet_addr: 16 bytes, an IPv4 address in the first 4 (as keepalived's libipvs sends it). */
function inetAddr(t: number, address: string): Buffer {
  const b = Buffer.alloc(16);
  ipToBuffer(address).copy(b);
  return attr(t, b);
}
const afOf = (f: 4 | 6): number => (f === 6 ? AF_INET6 : AF_INET);

function keyAttrs(k: ServiceKey): Buffer[] {
  const out = [u16(SVC.AF, afOf(k.family))];
  if ('fwmark' in k) out.push(u32(SVC.FWMARK, k.fwmark));
  else out.push(u16(SVC.PROTOCOL, PROTO_NUM[k.protocol]), inetAddr(SVC.ADDR, k.address), be16(SVC.PORT, k.port));
  return out;
}

function netmaskAttr(family: 4 | 6, netmask: number): Buffer {
  return family === 4 ? be32(SVC.NETMASK, netmask) : u32(SVC.NETMASK, netmask);
}

/** The nested service as NEW_SERVICE/SET_SERVICE take it (every field, flags with a full mask). */
function serviceAttr(s: IpvsService): Buffer {
  const flags = Buffer.alloc(8);
  flags.writeUInt32LE(s.flags >>> 0, 0);
  flags.writeUInt32LE(0xffffffff, 4);
  const parts = [...keyAttrs(s), str(SVC.SCHED_NAME, s.scheduler)];
  if (s.peName) parts.push(str(SVC.PE_NAME, s.peName));
  parts.push(attr(SVC.FLAGS, flags), u32(SVC.TIMEOUT, s.timeout), netmaskAttr(s.family, s.netmask));
  return nest(CMD_ATTR.SERVICE, parts);
}

function destAttr(d: IpvsDest): Buffer {
  const parts = [
    u16(DEST.ADDR_FAMILY, afOf(d.family)), inetAddr(DEST.ADDR, d.address), be16(DEST.PORT, d.port),
    u32(DEST.FWD_METHOD, FWD.indexOf(d.fwd)), u32(DEST.WEIGHT, d.weight),
  ];
  // keepalived sends the tunnel attributes for tunnelled destinations only (port for GUE, flags
  // unless IPIP); ipvsadm sends all three always. Whatever is set is sent.
  if (d.tunType !== undefined) parts.push(u8(DEST.TUN_TYPE, TUN.indexOf(d.tunType)));
  if (d.tunPort !== undefined) parts.push(be16(DEST.TUN_PORT, d.tunPort));
  if (d.tunFlags !== undefined) parts.push(u16(DEST.TUN_FLAGS, d.tunFlags));
  parts.push(u32(DEST.U_THRESH, d.uThreshold), u32(DEST.L_THRESH, d.lThreshold));
  return nest(CMD_ATTR.DEST, parts);
}

/**
 * NEW_SERVICE / SET_SERVICE / DEL_SERVICE payload. The kernel needs every field for NEW and SET,
 * only the key for DEL; ipvsadm and keepalived send the whole service for all three.
 */
export function encodeService(s: IpvsService): Buffer {
  return serviceAttr(s);
}

/** GET_SERVICE and the GET_DEST dump request: the service named by its key only. */
export function encodeServiceKey(k: ServiceKey): Buffer {
  return nest(CMD_ATTR.SERVICE, keyAttrs(k));
}

/**
 * NEW_DEST / SET_DEST / DEL_DEST payload: the service (the kernel reads only its key; the other
 * fields are sent as keepalived sends them) and the destination.
 */
export function encodeDest(s: IpvsService, d: IpvsDest): Buffer {
  return Buffer.concat([serviceAttr(s), destAttr(d)]);
}

/** NEW_DAEMON payload (start the connection-sync daemon). */
export function encodeDaemonStart(d: IpvsDaemon): Buffer {
  const parts = [u32(DAEMON.STATE, d.state === 'master' ? 1 : 2), str(DAEMON.MCAST_IFN, d.mcastIfn), u32(DAEMON.SYNC_ID, d.syncId)];
  if (d.syncMaxlen) parts.push(u16(DAEMON.SYNC_MAXLEN, d.syncMaxlen));
  if (d.mcastPort) parts.push(u16(DAEMON.MCAST_PORT, d.mcastPort));
  if (d.mcastTtl) parts.push(u8(DAEMON.MCAST_TTL, d.mcastTtl));
  if (d.mcastGroup) {
    const g = ipToBuffer(d.mcastGroup);
    parts.push(g.length === 16 ? attr(DAEMON.MCAST_GROUP6, g) : attr(DAEMON.MCAST_GROUP, g));
  }
  return nest(CMD_ATTR.DAEMON, parts);
}

/**
 * DEL_DAEMON payload (stop the master or backup sync daemon). keepalived sends the state and the
 * sync id; ipvsadm also an empty interface name (pass mcastIfn '' to send it).
 */
export function encodeDaemonStop(d: { state: 'master' | 'backup'; syncId?: number; mcastIfn?: string }): Buffer {
  const parts = [u32(DAEMON.STATE, d.state === 'master' ? 1 : 2)];
  if (d.mcastIfn !== undefined) parts.push(str(DAEMON.MCAST_IFN, d.mcastIfn));
  parts.push(u32(DAEMON.SYNC_ID, d.syncId ?? 0));
  return nest(CMD_ATTR.DAEMON, parts);
}

/** SET_CONFIG payload. */
export function encodeTimeouts(t: IpvsTimeouts): Buffer {
  return Buffer.concat([u32(CMD_ATTR.TIMEOUT_TCP, t.tcp), u32(CMD_ATTR.TIMEOUT_TCP_FIN, t.tcpFin), u32(CMD_ATTR.TIMEOUT_UDP, t.udp)]);
}

// ---------- attribute decoding ----------

type Attrs = Map<number, Buffer>;

function parseAttrs(b: Buffer): Attrs | undefined {
  const m: Attrs = new Map();
  let off = 0;
  while (off + 4 <= b.length) {
    const len = b.readUInt16LE(off);
    const type = b.readUInt16LE(off + 2) & NLA_TYPE_MASK;
    if (len < 4 || off + len > b.length) return undefined;
    m.set(type, b.subarray(off + 4, off + len));
    off += (len + 3) & ~3;
  }
  return m;
}

const rd16 = (a: Attrs, t: number): number | undefined => { const v = a.get(t); return v && v.length >= 2 ? v.readUInt16LE(0) : undefined; };
const rdBe16 = (a: Attrs, t: number): number | undefined => { const v = a.get(t); return v && v.length >= 2 ? v.readUInt16BE(0) : undefined; };
const rd32 = (a: Attrs, t: number): number | undefined => { const v = a.get(t); return v && v.length >= 4 ? v.readUInt32LE(0) : undefined; };
const rdStr = (a: Attrs, t: number): string | undefined => {
  const v = a.get(t);
  if (!v) return undefined;
  const nul = v.indexOf(0);
  return v.subarray(0, nul < 0 ? v.length : nul).toString('latin1');
};
const familyOfAf = (af: number | undefined): 4 | 6 | undefined => (af === AF_INET ? 4 : af === AF_INET6 ? 6 : undefined);
function addrOf(v: Buffer | undefined, f: 4 | 6): string | undefined {
  const n = f === 4 ? 4 : 16;
  return v && v.length >= n ? bufferToIp(Buffer.from(v.subarray(0, n))) : undefined;
}

function nested(payload: Buffer, type: number): Attrs | IpvsDropReason {
  const top = parseAttrs(payload);
  if (!top) return 'truncated';
  const inner = top.get(type);
  if (!inner) return type === CMD_ATTR.SERVICE ? 'no-service' : type === CMD_ATTR.DEST ? 'no-dest' : 'no-daemon';
  return parseAttrs(inner) ?? 'truncated';
}

/** One GET_SERVICE reply (a dump yields one per service). */
export function decodeService(payload: Buffer): IpvsDecoded<IpvsService> {
  const a = nested(payload, CMD_ATTR.SERVICE);
  if (typeof a === 'string') return { ok: false, reason: a };
  const family = familyOfAf(rd16(a, SVC.AF));
  if (!family) return { ok: false, reason: 'bad-family' };
  const scheduler = rdStr(a, SVC.SCHED_NAME);
  const flags = a.get(SVC.FLAGS);
  const timeout = rd32(a, SVC.TIMEOUT);
  const nm = a.get(SVC.NETMASK);
  if (scheduler === undefined || !flags || flags.length < 4 || timeout === undefined || !nm || nm.length < 4) return { ok: false, reason: 'missing-attr' };
  const netmask = family === 4 ? nm.readUInt32BE(0) : nm.readUInt32LE(0);
  const peName = rdStr(a, SVC.PE_NAME);
  const rest = { scheduler, flags: flags.readUInt32LE(0), timeout, netmask, ...(peName ? { peName } : {}) };
  const fwmark = rd32(a, SVC.FWMARK);
  if (fwmark !== undefined && fwmark !== 0) return { ok: true, value: { family, fwmark, ...rest } };
  const protocol = PROTO_NAME.get(rd16(a, SVC.PROTOCOL) ?? -1);
  const address = addrOf(a.get(SVC.ADDR), family);
  const port = rdBe16(a, SVC.PORT);
  if (!protocol || address === undefined || port === undefined) return { ok: false, reason: 'missing-attr' };
  return { ok: true, value: { family, protocol, address, port, ...rest } };
}

/** One GET_DEST reply. `serviceFamily` is used when the kernel omits DEST_ATTR_ADDR_FAMILY (< 4.3). */
export function decodeDest(payload: Buffer, serviceFamily: 4 | 6): IpvsDecoded<IpvsDest> {
  const a = nested(payload, CMD_ATTR.DEST);
  if (typeof a === 'string') return { ok: false, reason: a };
  const af = rd16(a, DEST.ADDR_FAMILY);
  const family = af === undefined ? serviceFamily : familyOfAf(af);
  if (!family) return { ok: false, reason: 'bad-family' };
  const address = addrOf(a.get(DEST.ADDR), family);
  const port = rdBe16(a, DEST.PORT);
  const fwdNum = rd32(a, DEST.FWD_METHOD);
  const weight = rd32(a, DEST.WEIGHT);
  const uThreshold = rd32(a, DEST.U_THRESH);
  const lThreshold = rd32(a, DEST.L_THRESH);
  if (address === undefined || port === undefined || fwdNum === undefined || weight === undefined || uThreshold === undefined || lThreshold === undefined) {
    return { ok: false, reason: 'missing-attr' };
  }
  const fwd = FWD[fwdNum & 0x7];
  if (!fwd) return { ok: false, reason: 'bad-value' };
  const d: IpvsDest = { address, family, port, fwd, weight: weight | 0, uThreshold, lThreshold };
  const tun = a.get(DEST.TUN_TYPE);
  if (fwd === 'tunnel' && tun && tun.length >= 1) {
    d.tunType = TUN[tun[0]!];
    if (d.tunType === 'gue') d.tunPort = rdBe16(a, DEST.TUN_PORT) ?? 0;
    if (d.tunType !== 'ipip') d.tunFlags = rd16(a, DEST.TUN_FLAGS) ?? 0;
  }
  const counters: [keyof IpvsDest, number][] = [['activeConns', DEST.ACTIVE_CONNS], ['inactConns', DEST.INACT_CONNS], ['persistConns', DEST.PERSIST_CONNS]];
  for (const [k, t] of counters) {
    const v = rd32(a, t);
    if (v !== undefined) (d as unknown as Record<string, number>)[k] = v;
  }
  return { ok: true, value: d };
}

/** One GET_DAEMON reply. */
export function decodeDaemon(payload: Buffer): IpvsDecoded<IpvsDaemon> {
  const a = nested(payload, CMD_ATTR.DAEMON);
  if (typeof a === 'string') return { ok: false, reason: a };
  const st = rd32(a, DAEMON.STATE);
  const mcastIfn = rdStr(a, DAEMON.MCAST_IFN);
  const syncId = rd32(a, DAEMON.SYNC_ID);
  if (st === undefined || mcastIfn === undefined || syncId === undefined) return { ok: false, reason: 'missing-attr' };
  if (st !== 1 && st !== 2) return { ok: false, reason: 'bad-value' };
  const d: IpvsDaemon = { state: st === 1 ? 'master' : 'backup', mcastIfn, syncId };
  const maxlen = rd16(a, DAEMON.SYNC_MAXLEN);
  if (maxlen) d.syncMaxlen = maxlen;
  const port = rd16(a, DAEMON.MCAST_PORT);
  if (port) d.mcastPort = port;
  const ttl = a.get(DAEMON.MCAST_TTL);
  if (ttl && ttl.length >= 1) d.mcastTtl = ttl[0];
  const g4 = a.get(DAEMON.MCAST_GROUP);
  const g6 = a.get(DAEMON.MCAST_GROUP6);
  if (g6 && g6.length >= 16) d.mcastGroup = addrOf(g6, 6);
  else if (g4 && g4.length >= 4) d.mcastGroup = addrOf(g4, 4);
  return { ok: true, value: d };
}

/** GET_CONFIG reply. */
export function decodeTimeouts(payload: Buffer): IpvsDecoded<IpvsTimeouts> {
  const a = parseAttrs(payload);
  if (!a) return { ok: false, reason: 'truncated' };
  const tcp = rd32(a, CMD_ATTR.TIMEOUT_TCP);
  const tcpFin = rd32(a, CMD_ATTR.TIMEOUT_TCP_FIN);
  const udp = rd32(a, CMD_ATTR.TIMEOUT_UDP);
  if (tcp === undefined || tcpFin === undefined || udp === undefined) return { ok: false, reason: 'missing-attr' };
  return { ok: true, value: { tcp, tcpFin, udp } };
}

/** GET_INFO reply: IPVS version (e.g. 0x010201 = 1.2.1) and connection table size. */
export function decodeInfo(payload: Buffer): IpvsDecoded<{ version: number; connTabSize: number }> {
  const a = parseAttrs(payload);
  if (!a) return { ok: false, reason: 'truncated' };
  const version = rd32(a, INFO.VERSION);
  const connTabSize = rd32(a, INFO.CONN_TAB_SIZE);
  if (version === undefined || connTabSize === undefined) return { ok: false, reason: 'missing-attr' };
  return { ok: true, value: { version, connTabSize } };
}

// ---------- names ----------

/** Text key of a service, as ipvsadm -Ln names it: "TCP 192.0.2.1:80", "UDP [2001:db8::1]:53", "FWM 7 IPv6". */
export function serviceKeyText(k: ServiceKey): string {
  if ('fwmark' in k) return `FWM ${k.fwmark}${k.family === 6 ? ' IPv6' : ''}`;
  return `${k.protocol} ${hostPort(k.address, k.port)}`;
}

export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** The key part of a service (drops scheduler, flags, ...). */
export function serviceKeyOf(s: ServiceKey): ServiceKey {
  return 'fwmark' in s ? { family: s.family, fwmark: s.fwmark } : { family: s.family, protocol: s.protocol, address: s.address, port: s.port };
}

export function sameServiceKey(a: ServiceKey, b: ServiceKey): boolean {
  return serviceKeyText(a) === serviceKeyText(b);
}
