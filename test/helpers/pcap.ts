/**
 * A small reader (and writer, for tests) of classic libpcap files, plus tiny frame classifiers.
 *
 * Deliberately independent of src/protocol: the lab must be able to judge what crossed the wire
 * without trusting the codecs it is used to test.
 *
 * Classic pcap: a 24-byte global header whose magic tells the byte order and the timestamp unit
 * (0xa1b2c3d4 = microseconds, 0xa1b23c4d = nanoseconds), then records of a 16-byte header
 * (ts_sec, ts_frac, incl_len, orig_len) followed by incl_len bytes.
 */
import { readFileSync } from 'node:fs';

export interface PcapFrame {
  /** capture time in microseconds since the epoch (fractional when the file had nanoseconds) */
  tsUs: number;
  /** the captured bytes (Ethernet frame for linktype 1) */
  frame: Buffer;
  /** length on the wire (>= frame.length when the snap length cut it) */
  origLen: number;
}

export interface PcapFile {
  littleEndian: boolean;
  nanoseconds: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  /** 1 = Ethernet */
  linktype: number;
  frames: PcapFrame[];
  /** true when the file ended inside a record (a capture still being written) */
  truncated: boolean;
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/** Parses a classic pcap file. A partial trailing record is ignored (flagged `truncated`). */
export function parsePcap(buf: Buffer): PcapFile {
  if (buf.length < 24) throw new Error(`pcap: file too short for a global header (${buf.length} bytes)`);
  const be = buf.readUInt32BE(0);
  const le = buf.readUInt32LE(0);
  let littleEndian: boolean;
  let nanoseconds: boolean;
  if (be === MAGIC_US || be === MAGIC_NS) {
    littleEndian = false;
    nanoseconds = be === MAGIC_NS;
  } else if (le === MAGIC_US || le === MAGIC_NS) {
    littleEndian = true;
    nanoseconds = le === MAGIC_NS;
  } else {
    throw new Error(`pcap: unknown magic 0x${be.toString(16)} (pcapng is not supported)`);
  }
  const u16 = (o: number): number => (littleEndian ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (littleEndian ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const file: PcapFile = {
    littleEndian,
    nanoseconds,
    versionMajor: u16(4),
    versionMinor: u16(6),
    snaplen: u32(16),
    linktype: u32(20) & 0x0fffffff,
    frames: [],
    truncated: false,
  };
  let off = 24;
  while (off < buf.length) {
    if (off + 16 > buf.length) {
      file.truncated = true;
      break;
    }
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const orig = u32(off + 12);
    if (off + 16 + incl > buf.length) {
      file.truncated = true;
      break;
    }
    const tsUs = sec * 1e6 + (nanoseconds ? frac / 1000 : frac);
    file.frames.push({ tsUs, frame: Buffer.from(buf.subarray(off + 16, off + 16 + incl)), origLen: orig });
    off += 16 + incl;
  }
  return file;
}

export function readPcapFile(path: string): PcapFile {
  return parsePcap(readFileSync(path));
}

/** Writes a classic pcap (for tests and fixtures). */
export function writePcap(
  frames: Array<{ tsUs: number; frame: Buffer; origLen?: number }>,
  opts: { littleEndian?: boolean; nanoseconds?: boolean; linktype?: number; snaplen?: number } = {},
): Buffer {
  const le = opts.littleEndian ?? true;
  const ns = opts.nanoseconds ?? false;
  const parts: Buffer[] = [];
  const hdr = Buffer.alloc(24);
  const w32 = (b: Buffer, v: number, o: number): void => {
    if (le) b.writeUInt32LE(v >>> 0, o);
    else b.writeUInt32BE(v >>> 0, o);
  };
  const w16 = (b: Buffer, v: number, o: number): void => {
    if (le) b.writeUInt16LE(v, o);
    else b.writeUInt16BE(v, o);
  };
  w32(hdr, ns ? MAGIC_NS : MAGIC_US, 0);
  w16(hdr, 2, 4);
  w16(hdr, 4, 6);
  w32(hdr, opts.snaplen ?? 262144, 16);
  w32(hdr, opts.linktype ?? 1, 20);
  parts.push(hdr);
  for (const f of frames) {
    const rec = Buffer.alloc(16);
    const sec = Math.floor(f.tsUs / 1e6);
    const fracUs = f.tsUs - sec * 1e6;
    w32(rec, sec, 0);
    w32(rec, ns ? Math.round(fracUs * 1000) : Math.round(fracUs), 4);
    w32(rec, f.frame.length, 8);
    w32(rec, f.origLen ?? f.frame.length, 12);
    parts.push(rec, f.frame);
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// hex helpers (fixtures are written as hex: one frame per line, '#' starts a comment line)

/** Lowercase, space-separated hex bytes. */
export function toHex(buf: Buffer): string {
  return [...buf].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Accepts hex with any whitespace / ':' separators. */
export function fromHex(text: string): Buffer {
  const clean = text.replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`fromHex: not an even run of hex digits: ${text.slice(0, 40)}`);
  return Buffer.from(clean, 'hex');
}

/** Parses a .hex fixture: each non-empty line not starting with '#' is one complete frame. */
export function parseHexFrames(text: string): Buffer[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map(fromHex);
}

export function readHexFixture(path: string): Buffer[] {
  return parseHexFrames(readFileSync(path, 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// classifiers (Ethernet II, optionally one 802.1Q tag)

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export const IPPROTO_VRRP = 112;

function macAt(f: Buffer, o: number): string {
  return [...f.subarray(o, o + 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export function ethDst(f: Buffer): string {
  return macAt(f, 0);
}
export function ethSrc(f: Buffer): string {
  return macAt(f, 6);
}

/** EtherType and the offset of the payload, skipping one VLAN tag; null for runts. */
export function ethPayload(f: Buffer): { type: number; offset: number } | null {
  if (f.length < 14) return null;
  let type = f.readUInt16BE(12);
  let offset = 14;
  if (type === 0x8100 && f.length >= 18) {
    type = f.readUInt16BE(16);
    offset = 18;
  }
  return { type, offset };
}

export interface Ipv4Info {
  src: string;
  dst: string;
  proto: number;
  ttl: number;
  tos: number;
  id: number;
  checksum: number;
  /** byte offset of the IPv4 payload inside the frame */
  payloadOffset: number;
  totalLength: number;
}

export function ipv4(f: Buffer): Ipv4Info | null {
  const e = ethPayload(f);
  if (!e || e.type !== ETH_P_IP || f.length < e.offset + 20) return null;
  const o = e.offset;
  if (f[o] >> 4 !== 4) return null;
  const ihl = (f[o] & 0x0f) * 4;
  const dot = (p: number): string => [...f.subarray(p, p + 4)].join('.');
  return {
    src: dot(o + 12),
    dst: dot(o + 16),
    proto: f[o + 9],
    ttl: f[o + 8],
    tos: f[o + 1],
    id: f.readUInt16BE(o + 4),
    checksum: f.readUInt16BE(o + 10),
    payloadOffset: o + ihl,
    totalLength: f.readUInt16BE(o + 2),
  };
}

/** Compressed RFC 5952 text of 16 bytes. */
export function ipv6Text(b: Buffer): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export interface Ipv6Info {
  src: string;
  dst: string;
  nextHeader: number;
  hopLimit: number;
  trafficClass: number;
  flowLabel: number;
  payloadOffset: number;
  payloadLength: number;
}

/** Fixed IPv6 header only (no extension-header walk: VRRP and ND frames carry none). */
export function ipv6(f: Buffer): Ipv6Info | null {
  const e = ethPayload(f);
  if (!e || e.type !== ETH_P_IPV6 || f.length < e.offset + 40) return null;
  const o = e.offset;
  if (f[o] >> 4 !== 6) return null;
  const first = f.readUInt32BE(o);
  return {
    src: ipv6Text(f.subarray(o + 8, o + 24)),
    dst: ipv6Text(f.subarray(o + 24, o + 40)),
    nextHeader: f[o + 6],
    hopLimit: f[o + 7],
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & 0xfffff,
    payloadOffset: o + 40,
    payloadLength: f.readUInt16BE(o + 4),
  };
}

/** IPv4 protocol 112 or IPv6 next header 112. */
export function isVrrp(f: Buffer): boolean {
  const v4 = ipv4(f);
  if (v4) return v4.proto === IPPROTO_VRRP;
  const v6 = ipv6(f);
  return v6 !== null && v6.nextHeader === IPPROTO_VRRP;
}

export interface VrrpInfo {
  version: number;
  type: number;
  vrid: number;
  priority: number;
  countAddrs: number;
  /** offset of the VRRP header inside the frame */
  offset: number;
  family: 4 | 6;
  src: string;
  dst: string;
}

/** Minimal view of a VRRP advertisement (v2 or v3) — just enough for tests to pick frames. */
export function vrrpInfo(f: Buffer): VrrpInfo | null {
  const v4 = ipv4(f);
  const v6 = v4 ? null : ipv6(f);
  const ip = v4 ?? v6;
  if (!ip) return null;
  const proto = v4 ? v4.proto : (v6 as Ipv6Info).nextHeader;
  if (proto !== IPPROTO_VRRP) return null;
  const o = ip.payloadOffset;
  if (f.length < o + 8) return null;
  return {
    version: f[o] >> 4,
    type: f[o] & 0x0f,
    vrid: f[o + 1],
    priority: f[o + 2],
    countAddrs: f[o + 3],
    offset: o,
    family: v4 ? 4 : 6,
    src: ip.src,
    dst: ip.dst,
  };
}

/** A VRRP ADVERTISEMENT (type 1). */
export function isVrrpAdvert(f: Buffer): boolean {
  const v = vrrpInfo(f);
  return v !== null && v.type === 1;
}

export interface ArpInfo {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function arpInfo(f: Buffer): ArpInfo | null {
  const e = ethPayload(f);
  if (!e || e.type !== ETH_P_ARP || f.length < e.offset + 28) return null;
  const o = e.offset;
  if (f.readUInt16BE(o) !== 1 || f.readUInt16BE(o + 2) !== ETH_P_IP || f[o + 4] !== 6 || f[o + 5] !== 4) return null;
  const dot = (p: number): string => [...f.subarray(p, p + 4)].join('.');
  return {
    op: f.readUInt16BE(o + 6),
    senderMac: macAt(f, o + 8),
    senderIp: dot(o + 14),
    targetMac: macAt(f, o + 18),
    targetIp: dot(o + 24),
  };
}

export function isArp(f: Buffer): boolean {
  return arpInfo(f) !== null;
}

/** Gratuitous ARP: sender IP == target IP (request or reply), optionally for a given address. */
export function isGratuitousArp(f: Buffer, ip?: string): boolean {
  const a = arpInfo(f);
  return a !== null && a.senderIp === a.targetIp && (ip === undefined || a.senderIp === ip);
}

export interface IcmpInfo {
  family: 4 | 6;
  type: number;
  code: number;
  offset: number;
  src: string;
  dst: string;
}

export function icmpInfo(f: Buffer): IcmpInfo | null {
  const v4 = ipv4(f);
  if (v4) {
    if (v4.proto !== 1 || f.length < v4.payloadOffset + 4) return null;
    return { family: 4, type: f[v4.payloadOffset], code: f[v4.payloadOffset + 1], offset: v4.payloadOffset, src: v4.src, dst: v4.dst };
  }
  const v6 = ipv6(f);
  if (!v6 || v6.nextHeader !== 58 || f.length < v6.payloadOffset + 4) return null;
  return { family: 6, type: f[v6.payloadOffset], code: f[v6.payloadOffset + 1], offset: v6.payloadOffset, src: v6.src, dst: v6.dst };
}

/** ICMP echo request (v4 type 8, v6 type 128). */
export function isEchoRequest(f: Buffer): boolean {
  const i = icmpInfo(f);
  return i !== null && i.type === (i.family === 4 ? 8 : 128);
}

/** ICMP echo reply (v4 type 0, v6 type 129). */
export function isEchoReply(f: Buffer): boolean {
  const i = icmpInfo(f);
  return i !== null && i.type === (i.family === 4 ? 0 : 129);
}

export interface NeighborAdvertInfo {
  src: string;
  dst: string;
  router: boolean;
  solicited: boolean;
  override: boolean;
  target: string;
  /** target link-layer address option, if present */
  tlla?: string;
}

/** ICMPv6 Neighbor Advertisement (type 136). */
export function neighborAdvertInfo(f: Buffer): NeighborAdvertInfo | null {
  const i = icmpInfo(f);
  if (!i || i.family !== 6 || i.type !== 136 || f.length < i.offset + 24) return null;
  const flags = f[i.offset + 4];
  const na: NeighborAdvertInfo = {
    src: i.src,
    dst: i.dst,
    router: (flags & 0x80) !== 0,
    solicited: (flags & 0x40) !== 0,
    override: (flags & 0x20) !== 0,
    target: ipv6Text(f.subarray(i.offset + 8, i.offset + 24)),
  };
  let o = i.offset + 24;
  while (o + 2 <= f.length) {
    const type = f[o];
    const len = f[o + 1] * 8;
    if (len === 0 || o + len > f.length) break;
    if (type === 2 && len >= 8) na.tlla = macAt(f, o + 2);
    o += len;
  }
  return na;
}

export function isNeighborAdvert(f: Buffer, target?: string): boolean {
  const na = neighborAdvertInfo(f);
  return na !== null && (target === undefined || na.target === target);
}
