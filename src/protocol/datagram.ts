/**
 * Whole IPv4 VRRP datagrams, as a raw IPPROTO_VRRP / IPPROTO_AH socket with IP_HDRINCL sends and
 * receives them: IPv4 header [+ AH] + VRRP message. (IPv6 raw sockets deliver only the VRRP
 * message; use decodeVrrp with addresses and hop limit from the ancillary data.)
 */
import { decodeIpv4, encodeIpv4, Ipv4Header } from './ipv4';
import { addAh, AhHeader, AhSign, decodeAh, IPPROTO_AH } from './ah';
import { decodeVrrp, encodeVrrp, IPPROTO_VRRP, VrrpDropReason, VrrpEncodeInput, VrrpPacket, VRRP_MCAST_V4, VRRP_TOS, VRRP_TTL } from './vrrp';

export type VrrpDatagram = { ok: true; ip: Ipv4Header; ah?: AhHeader; packet: VrrpPacket };

export function decodeVrrpDatagram(buf: Buffer, opts: { v3ChecksumAsV2?: boolean } = {}):
  VrrpDatagram | { ok: false; reason: VrrpDropReason; detail?: string } {
  const ip = decodeIpv4(buf);
  if (!ip.ok) return { ok: false, reason: ip.reason, detail: 'IPv4 header' };
  const ctx = { family: 4 as const, src: ip.header.src, dst: ip.header.dst, v3ChecksumAsV2: opts.v3ChecksumAsV2 };
  if (ip.header.protocol === IPPROTO_AH) {
    const ah = decodeAh(ip.payload);
    if (!ah.ok) return { ok: false, reason: ah.reason, detail: 'AH header' };
    if (ah.header.nextHeader !== IPPROTO_VRRP) return { ok: false, reason: 'bad-type', detail: `AH next header ${ah.header.nextHeader}` };
    const v = decodeVrrp(ah.payload, ctx);
    return v.ok ? { ok: true, ip: ip.header, ah: ah.header, packet: v.packet } : v;
  }
  if (ip.header.protocol !== IPPROTO_VRRP) return { ok: false, reason: 'bad-type', detail: `IP protocol ${ip.header.protocol}` };
  const v = decodeVrrp(ip.payload, ctx);
  return v.ok ? { ok: true, ip: ip.header, packet: v.packet } : v;
}

/** The IPv4 header fields of an advert that vary; the rest are keepalived's fixed ones. */
export interface AdvertIpv4 { src: string; dst: string; id: number; ttl?: number; tos?: number }

/**
 * keepalived's IPv4 header around a VRRP message (vrrp_build_ip4): TOS 0xc0, DF clear, TTL 255
 * unless set (unicast_ttl), protocol 112; with `ah`, an AH header in between and protocol 51.
 * Source 0.0.0.0 lets the kernel fill it in (IP_HDRINCL). Every IPv4 advert, plain or AH, is
 * framed here: src/io's VRRP socket calls this too.
 */
export function ipv4Advert(msg: Buffer, ip: AdvertIpv4, ah?: AhSign): Buffer {
  const pkt = encodeIpv4({ tos: ip.tos ?? VRRP_TOS, id: ip.id, ttl: ip.ttl ?? VRRP_TTL, protocol: IPPROTO_VRRP, src: ip.src, dst: ip.dst }, msg);
  return ah ? addAh(pkt, ah) : pkt;
}

/** A whole IPv4 advert from its fields: the VRRP message (checksum over the same addresses) in ipv4Advert's header. */
export function encodeVrrpDatagram(
  p: VrrpEncodeInput,
  ip: Omit<AdvertIpv4, 'dst'> & { dst?: string },
  opts: { v3ChecksumAsV2?: boolean; ah?: AhSign } = {},
): Buffer {
  const dst = ip.dst ?? VRRP_MCAST_V4;
  const msg = encodeVrrp(p, { family: 4, src: ip.src, dst, v3ChecksumAsV2: opts.v3ChecksumAsV2 });
  return ipv4Advert(msg, { ...ip, dst }, opts.ah);
}
