/** IPv6 fixed header codec, RFC 8200 §3. Extension headers are not walked: nextHeader is reported as is. */
import { bufferToIp, ipToBuffer } from './addresses';
import { KtsError } from '../util/errors';

export interface Ipv6Header {
  version: 6; trafficClass: number; flowLabel: number; payloadLength: number;
  nextHeader: number; hopLimit: number; src: string; dst: string;
}

export type Ipv6DropReason = 'too-short' | 'bad-version' | 'bad-length';

export function decodeIpv6(buf: Buffer):
  { ok: true; header: Ipv6Header; payload: Buffer } | { ok: false; reason: Ipv6DropReason } {
  if (buf.length < 40) return { ok: false, reason: 'too-short' };
  const w0 = buf.readUInt32BE(0);
  if (w0 >>> 28 !== 6) return { ok: false, reason: 'bad-version' };
  const payloadLength = buf.readUInt16BE(4);
  if (40 + payloadLength > buf.length) return { ok: false, reason: 'bad-length' };
  return {
    ok: true,
    header: {
      version: 6, trafficClass: (w0 >>> 20) & 0xff, flowLabel: w0 & 0xfffff, payloadLength,
      nextHeader: buf[6], hopLimit: buf[7],
      src: bufferToIp(buf.subarray(8, 24)), dst: bufferToIp(buf.subarray(24, 40)),
    },
    payload: buf.subarray(40, 40 + payloadLength),
  };
}

export function encodeIpv6(
  h: { trafficClass?: number; flowLabel?: number; nextHeader: number; hopLimit: number; src: string; dst: string },
  payload: Buffer,
): Buffer {
  const src = ipToBuffer(h.src), dst = ipToBuffer(h.dst);
  if (src.length !== 16 || dst.length !== 16) throw new KtsError('E_ADDR', 'encodeIpv6 needs IPv6 addresses');
  if (payload.length > 0xffff) throw new KtsError('E_RANGE', `IPv6 payload too long: ${payload.length}`);
  const out = Buffer.alloc(40 + payload.length);
  out.writeUInt32BE(((6 << 28) | (((h.trafficClass ?? 0) & 0xff) << 20) | ((h.flowLabel ?? 0) & 0xfffff)) >>> 0, 0);
  out.writeUInt16BE(payload.length, 4);
  out[6] = h.nextHeader & 0xff;
  out[7] = h.hopLimit & 0xff;
  src.copy(out, 8);
  dst.copy(out, 24);
  payload.copy(out, 40);
  return out;
}
