/** IPv4 header codec, RFC 791 §3.1. Options are skipped on decode and never written. */
import { inetChecksum } from './checksum';
import { bufferToIp, ipToBuffer } from './addresses';
import { KtsError } from '../util/errors';

export interface Ipv4Header {
  version: 4; ihl: number; tos: number; totalLength: number; id: number; df: boolean;
  ttl: number; protocol: number; checksum: number; src: string; dst: string;
}

export type Ipv4DropReason = 'too-short' | 'bad-version' | 'bad-length' | 'bad-checksum';

export function decodeIpv4(buf: Buffer):
  { ok: true; header: Ipv4Header; payload: Buffer } | { ok: false; reason: Ipv4DropReason } {
  if (buf.length < 20) return { ok: false, reason: 'too-short' };
  if (buf[0] >> 4 !== 4) return { ok: false, reason: 'bad-version' };
  const ihl = buf[0] & 0x0f;
  const totalLength = buf.readUInt16BE(2);
  // IHL counts 32-bit words, at least 5; Total Length covers header and data. Anything past
  // Total Length (Ethernet padding) is not part of the datagram.
  if (ihl < 5 || totalLength < ihl * 4 || totalLength > buf.length) return { ok: false, reason: 'bad-length' };
  const hdr = buf.subarray(0, ihl * 4);
  if (inetChecksum(hdr) !== 0) return { ok: false, reason: 'bad-checksum' };
  return {
    ok: true,
    header: {
      version: 4, ihl, tos: buf[1], totalLength, id: buf.readUInt16BE(4),
      df: (buf.readUInt16BE(6) & 0x4000) !== 0, ttl: buf[8], protocol: buf[9],
      checksum: buf.readUInt16BE(10),
      src: bufferToIp(buf.subarray(12, 16)), dst: bufferToIp(buf.subarray(16, 20)),
    },
    payload: buf.subarray(ihl * 4, totalLength),
  };
}

/** A 20-byte header (no options) with the header checksum filled in, followed by the payload. */
export function encodeIpv4(
  h: { tos: number; id: number; ttl: number; protocol: number; src: string; dst: string; df?: boolean },
  payload: Buffer,
): Buffer {
  const src = ipToBuffer(h.src), dst = ipToBuffer(h.dst);
  if (src.length !== 4 || dst.length !== 4) throw new KtsError('E_ADDR', 'encodeIpv4 needs IPv4 addresses');
  const total = 20 + payload.length;
  if (total > 0xffff) throw new KtsError('E_RANGE', `IPv4 datagram too long: ${total}`);
  const out = Buffer.alloc(total);
  out[0] = 0x45;
  out[1] = h.tos & 0xff;
  out.writeUInt16BE(total, 2);
  out.writeUInt16BE(h.id & 0xffff, 4);
  out.writeUInt16BE(h.df ? 0x4000 : 0, 6);
  out[8] = h.ttl & 0xff;
  out[9] = h.protocol & 0xff;
  src.copy(out, 12);
  dst.copy(out, 16);
  out.writeUInt16BE(inetChecksum(out.subarray(0, 20)), 10);
  payload.copy(out, 20);
  return out;
}
