/** Ethernet II framing (IEEE 802.3 §3.1.1), with one optional 802.1Q tag on decode. No FCS. */
import { bufferToMac, macToBuffer } from './addresses';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;

export interface EthernetFrame { dst: string; src: string; ethertype: number; vlan?: number; payload: Buffer; }

/** null when the frame is too short to hold the header. */
export function decodeEthernet(frame: Buffer): EthernetFrame | null {
  if (frame.length < 14) return null;
  const dst = bufferToMac(frame.subarray(0, 6)), src = bufferToMac(frame.subarray(6, 12));
  const type = frame.readUInt16BE(12);
  if (type !== ETHERTYPE_VLAN) return { dst, src, ethertype: type, payload: frame.subarray(14) };
  if (frame.length < 18) return null;
  return { dst, src, vlan: frame.readUInt16BE(14) & 0x0fff, ethertype: frame.readUInt16BE(16), payload: frame.subarray(18) };
}

export function encodeEthernet(h: { dst: string; src: string; ethertype: number }, payload: Buffer): Buffer {
  const out = Buffer.alloc(14 + payload.length);
  macToBuffer(h.dst).copy(out, 0);
  macToBuffer(h.src).copy(out, 6);
  out.writeUInt16BE(h.ethertype & 0xffff, 12);
  payload.copy(out, 14);
  return out;
}

/** RFC 1112 §6.4 / RFC 2464 §7: the Ethernet group address of an IPv4/IPv6 multicast address. */
export function multicastMac(ip: Buffer): string {
  if (ip.length === 4) return bufferToMac(Buffer.from([0x01, 0x00, 0x5e, ip[1] & 0x7f, ip[2], ip[3]]));
  return bufferToMac(Buffer.from([0x33, 0x33, ip[12], ip[13], ip[14], ip[15]]));
}
