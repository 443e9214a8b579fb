/**
 * The minimal IPv4 header handling src/io needs for IP_HDRINCL VRRP sockets: build the header
 * keepalived builds (vrrp_build_ip4: TOS 0xc0, no DF, TTL 255, protocol 112, id chosen by the
 * sender) and parse received headers for TTL/src/dst. Wire input never throws: parse returns a
 * reason instead.
 */
import net from 'node:net';

export const IPPROTO_VRRP = 112;
export const VRRP_TOS = 0xc0;
export const VRRP_TTL = 255;

export function ipv4ToBytes(addr: string): Buffer {
  if (net.isIPv4(addr) === false) throw new TypeError(`not an IPv4 address: ${addr}`);
  return Buffer.from(addr.split('.').map((x) => Number(x)));
}

export function bytesToIpv4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

/** 16 bytes of an IPv6 address (accepts "::" forms and embedded IPv4; strips a %zone). */
export function ipv6ToBytes(addr: string): Buffer {
  const a = addr.split('%')[0] ?? '';
  if (!net.isIPv6(a)) throw new TypeError(`not an IPv6 address: ${addr}`);
  let head = a;
  let tail = '';
  const dbl = a.indexOf('::');
  if (dbl >= 0) {
    head = a.slice(0, dbl);
    tail = a.slice(dbl + 2);
  }
  const words = (s: string): number[] => {
    if (s === '') return [];
    const out: number[] = [];
    for (const part of s.split(':')) {
      if (part.includes('.')) {
        const v4 = ipv4ToBytes(part);
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else out.push(parseInt(part, 16));
    }
    return out;
  };
  const h = words(head);
  const t = words(tail);
  const all = dbl >= 0 ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  const buf = Buffer.alloc(16);
  all.forEach((w, i) => buf.writeUInt16BE(w, i * 2));
  return buf;
}

/** RFC 1071 internet checksum of `b`. */
export function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2 === 1) sum += b[b.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4HeaderFields {
  src: string; // '0.0.0.0' lets the kernel fill the source in
  dst: string;
  id: number;
  payloadLength: number;
  tos?: number;
  ttl?: number;
  protocol?: number;
}

/** 20-byte IPv4 header, no options, DF clear (as keepalived's vrrp_build_ip4). */
export function buildIpv4Header(f: Ipv4HeaderFields): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h[1] = f.tos ?? VRRP_TOS;
  h.writeUInt16BE(20 + f.payloadLength, 2);
  h.writeUInt16BE(f.id & 0xffff, 4);
  h.writeUInt16BE(0, 6); // flags + fragment offset: DF clear
  h[8] = f.ttl ?? VRRP_TTL;
  h[9] = f.protocol ?? IPPROTO_VRRP;
  ipv4ToBytes(f.src).copy(h, 12);
  ipv4ToBytes(f.dst).copy(h, 16);
  h.writeUInt16BE(inetChecksum(h), 10);
  return h;
}

export type Ipv4Parse =
  | { ok: true; src: string; dst: string; ttl: number; tos: number; id: number; protocol: number; payload: Buffer }
  | { ok: false; reason: 'too-short' | 'not-ipv4' | 'bad-header-length' | 'bad-total-length' | 'fragment' };

/** Parses a received IPv4 datagram (as a raw socket returns it). The payload is a copy. */
export function parseIpv4(b: Buffer): Ipv4Parse {
  if (b.length < 20) return { ok: false, reason: 'too-short' };
  if (b[0]! >> 4 !== 4) return { ok: false, reason: 'not-ipv4' };
  const ihl = (b[0]! & 0x0f) * 4;
  if (ihl < 20 || ihl > b.length) return { ok: false, reason: 'bad-header-length' };
  const total = b.readUInt16BE(2);
  if (total < ihl || total > b.length) return { ok: false, reason: 'bad-total-length' };
  const frag = b.readUInt16BE(6);
  if ((frag & 0x2000) !== 0 || (frag & 0x1fff) !== 0) return { ok: false, reason: 'fragment' };
  return {
    ok: true,
    tos: b[1]!,
    id: b.readUInt16BE(4),
    ttl: b[8]!,
    protocol: b[9]!,
    src: bytesToIpv4(b, 12),
    dst: bytesToIpv4(b, 16),
    payload: Buffer.from(b.subarray(ihl, total)),
  };
}
