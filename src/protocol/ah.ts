/**
 * keepalived's IPSEC-AH authentication for VRRPv2 over IPv4 (`auth_type AH`): an AH header
 * (RFC 2402 §2) between the IPv4 header and the VRRP message, with an HMAC-MD5-96 ICV
 * (RFC 2403 §2, RFC 2104) keyed by the 8-byte zero-padded auth_pass.
 *
 * As keepalived 2.2.7 does it (vrrp.c vrrp_build_ipsecah / vrrp_update_pkt / vrrp_in_chk_ipsecah):
 *  - AH: next header 112, payload len 4 (6 words - 2), reserved 0, SPI = the IPv4 source address,
 *    sequence number counting up from 1, 12 bytes ICV;
 *  - the ICV covers IP header + AH + VRRP message with the mutable IP fields zeroed
 *    (RFC 2402 §3.3.3.1.1.1): TOS, flags/fragment offset, header checksum, and the TTL only when
 *    unicast peers are configured; the AH ICV field is zero while computing;
 *  - the VRRP message carries auth type 2 and 8 zero auth data bytes.
 * Sequence-number replay state lives with the caller (pass lastSeq to verifyAh).
 */
import { createHmac } from 'node:crypto';
import { inetChecksum } from './checksum';
import { authDataOf } from './vrrp';
import { KtsError } from '../util/errors';

export const IPPROTO_AH = 51;
export const AH_LEN = 24;
const ICV_LEN = 12;
const AH_PAYLOAD_LEN = 4;

export interface AhHeader { nextHeader: number; payloadLen: number; spi: number; seq: number; icv: Buffer; }

export function decodeAh(buf: Buffer):
  { ok: true; header: AhHeader; payload: Buffer } | { ok: false; reason: 'too-short' | 'bad-length' } {
  if (buf.length < AH_LEN) return { ok: false, reason: 'too-short' };
  // RFC 2402 §2.2: length of AH in 32-bit words minus 2; keepalived only ever uses 4 (96-bit ICV).
  if (buf[1] !== AH_PAYLOAD_LEN) return { ok: false, reason: 'bad-length' };
  return {
    ok: true,
    header: { nextHeader: buf[0], payloadLen: buf[1], spi: buf.readUInt32BE(4), seq: buf.readUInt32BE(8),
      icv: Buffer.from(buf.subarray(12, AH_LEN)) },
    payload: buf.subarray(AH_LEN),
  };
}

/** HMAC-MD5-96 over the whole IPv4 packet as keepalived computes it (the packet is not modified). */
export function ahIcv(packet: Buffer, authPass: string, unicast: boolean): Buffer {
  const ihl = (packet[0] & 0x0f) * 4;
  const head = Buffer.from(packet.subarray(0, ihl + AH_LEN));
  head[1] = 0;                 // TOS
  head.writeUInt16BE(0, 6);    // flags + fragment offset
  head.writeUInt16BE(0, 10);   // header checksum
  if (unicast) head[8] = 0;    // TTL (keepalived zeroes it only with unicast peers)
  head.fill(0, ihl + 12, ihl + AH_LEN);
  return createHmac('md5', authDataOf(authPass)).update(head).update(packet.subarray(ihl + AH_LEN)).digest().subarray(0, ICV_LEN);
}

/** What signing needs: the sequence number, auth_pass, and whether unicast peers are configured (TTL zeroed in the ICV). */
export interface AhSign { seq: number; authPass: string; unicast: boolean }

/**
 * Insert an AH header into a complete IPv4 packet (20-byte header, protocol 112) and sign it:
 * returns the new packet with protocol 51, total length +24 and a fresh header checksum.
 */
export function addAh(ipPacket: Buffer, o: AhSign): Buffer {
  const ihl = (ipPacket[0] & 0x0f) * 4;
  if (ipPacket.length < ihl || ipPacket[9] !== 112) throw new KtsError('E_AH', 'addAh needs an IPv4 VRRP packet');
  if (!Number.isInteger(o.seq) || o.seq < 0 || o.seq > 0xffffffff) throw new KtsError('E_RANGE', `AH seq ${o.seq}`);
  const out = Buffer.alloc(ipPacket.length + AH_LEN);
  ipPacket.copy(out, 0, 0, ihl);
  ipPacket.copy(out, ihl + AH_LEN, ihl);
  out.writeUInt16BE(out.length, 2);
  out[9] = IPPROTO_AH;
  out[ihl] = 112;
  out[ihl + 1] = AH_PAYLOAD_LEN;
  out.set(out.subarray(12, 16), ihl + 4); // SPI = source address
  out.writeUInt32BE(o.seq, ihl + 8);
  ahIcv(out, o.authPass, o.unicast).copy(out, ihl + 12);
  out.writeUInt16BE(0, 10);
  out.writeUInt16BE(inetChecksum(out.subarray(0, ihl)), 10);
  return out;
}

export type AhCheck = { ok: true; seq: number } | { ok: false; reason: 'auth-mismatch' | 'bad-type' | 'too-short'; detail: string };

/**
 * Verify the AH of a received IPv4 packet (protocol 51) in keepalived's order: next header is
 * VRRP, ICV, SPI = source address, then sequence number > lastSeq (anti-replay).
 */
export function verifyAh(packet: Buffer, o: { authPass: string; unicast: boolean; lastSeq?: number }): AhCheck {
  if (packet.length < 20) return { ok: false, reason: 'too-short', detail: 'no IPv4 header' };
  const ihl = (packet[0] & 0x0f) * 4;
  if (ihl < 20 || packet.length < ihl + AH_LEN) return { ok: false, reason: 'too-short', detail: 'no AH header' };
  const ah = decodeAh(packet.subarray(ihl));
  if (!ah.ok) return { ok: false, reason: 'too-short', detail: `AH ${ah.reason}` };
  if (ah.header.nextHeader !== 112) return { ok: false, reason: 'bad-type', detail: `AH next header ${ah.header.nextHeader}` };
  if (!ahIcv(packet, o.authPass, o.unicast).equals(ah.header.icv)) return { ok: false, reason: 'auth-mismatch', detail: 'ICV' };
  if (ah.header.spi !== packet.readUInt32BE(12)) return { ok: false, reason: 'auth-mismatch', detail: 'SPI is not the source address' };
  if (o.lastSeq !== undefined && ah.header.seq <= o.lastSeq) {
    return { ok: false, reason: 'auth-mismatch', detail: `sequence ${ah.header.seq} already seen (${o.lastSeq})` };
  }
  return { ok: true, seq: ah.header.seq };
}

