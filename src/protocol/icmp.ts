/**
 * ICMP / ICMPv6 echo (RFC 792, RFC 4443 §4) for PING_CHECK: build a request, read a reply. Pure.
 * keepalived 2.2.7 (check_ping.c) sends an 8-byte echo header and 128 bytes of payload; the reply
 * only has to be an echo reply. Here the reply must also carry our identifier and sequence number,
 * because a raw socket sees every echo reply on the host, not only ours.
 */
import { inetChecksum } from './checksum';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO = 8;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;
/** keepalived's ICMP_BUFSIZE */
export const PING_PAYLOAD_LEN = 128;

export interface EchoId {
  id: number;
  seq: number;
}

/** An echo request; for IPv6 the checksum is left 0 (the kernel fills it on raw ICMPv6 sockets). */
export function encodeEcho(family: 4 | 6, e: EchoId, payload: Buffer = defaultPayload()): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = family === 4 ? ICMP_ECHO : ICMPV6_ECHO_REQUEST;
  b.writeUInt16BE(e.id & 0xffff, 4);
  b.writeUInt16BE(e.seq & 0xffff, 6);
  payload.copy(b, 8);
  if (family === 4) b.writeUInt16BE(inetChecksum(b), 2);
  return b;
}

function defaultPayload(): Buffer {
  const p = Buffer.alloc(PING_PAYLOAD_LEN);
  for (let i = 0; i < p.length; i++) p[i] = i & 0xff;
  return p;
}

/**
 * An echo reply's id and sequence, or null for anything else. `icmp` starts at the ICMP header (a raw
 * IPv4 socket delivers the IP header too: strip it with {@link icmpOfIpv4}).
 */
export function decodeEchoReply(family: 4 | 6, icmp: Buffer): EchoId | null {
  if (icmp.length < 8) return null;
  if (icmp[0] !== (family === 4 ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY) || icmp[1] !== 0) return null;
  if (family === 4 && inetChecksum(icmp) !== 0) return null;
  return { id: icmp.readUInt16BE(4), seq: icmp.readUInt16BE(6) };
}

/** The ICMP message inside an IPv4 datagram (header length from IHL), or null if malformed. */
export function icmpOfIpv4(datagram: Buffer): Buffer | null {
  if (datagram.length < 20 || datagram[0] >> 4 !== 4) return null;
  const ihl = (datagram[0] & 0x0f) * 4;
  if (ihl < 20 || datagram.length < ihl + 8) return null;
  return datagram.subarray(ihl);
}
