/**
 * Unsolicited Neighbor Advertisement, RFC 4861 §4.4 / §7.2.6, as keepalived sends for an IPv6
 * VIP (RFC 5798 §6.4.1): to ff02::1, hop limit 255, Solicited=0, Override=1, Router as
 * configured, with a Target Link-Layer Address option (§4.6.1).
 */
import { bufferToIp, bufferToMac, ipToBuffer, macToBuffer } from './addresses';
import { inetChecksum, ipv6PseudoHeader } from './checksum';
import { decodeEthernet, encodeEthernet, ETHERTYPE_IPV6 } from './ethernet';
import { decodeIpv6, encodeIpv6 } from './ipv6';
import { KtsError } from '../util/errors';

export const ICMPV6 = 58;
export const ND_NEIGHBOR_ADVERT = 136;
const ALL_NODES = 'ff02::1';
const ALL_NODES_MAC = '33:33:00:00:00:01';

export interface NeighborAdvert {
  router: boolean; solicited: boolean; override: boolean; target: string; tlla?: string;
}

/** ICMPv6 NA message (type 136) with a TLLA option; checksum left 0 for the kernel to fill. */
export function unsolicitedNa(opts: { mac: string; target: string; router: boolean }): Buffer {
  const target = ipToBuffer(opts.target);
  if (target.length !== 16) throw new KtsError('E_ADDR', `NA target must be IPv6: ${opts.target}`);
  const m = Buffer.alloc(32);
  m[0] = ND_NEIGHBOR_ADVERT;
  m[4] = (opts.router ? 0x80 : 0) | 0x20; // R, S=0, O=1
  target.copy(m, 8);
  m[24] = 2; // option: Target Link-Layer Address
  m[25] = 1; // length in units of 8 bytes
  macToBuffer(opts.mac).copy(m, 26);
  return m;
}

/** The full Ethernet + IPv6 + ICMPv6 frame, ICMPv6 checksum filled in (RFC 4443 §2.3). */
export function unsolicitedNaFrame(opts: { mac: string; src: string; target: string; router: boolean }): Buffer {
  const icmp = unsolicitedNa(opts);
  const cs = inetChecksum(ipv6PseudoHeader(ipToBuffer(opts.src), ipToBuffer(ALL_NODES), ICMPV6, icmp.length), icmp);
  icmp.writeUInt16BE(cs, 2);
  const ip = encodeIpv6({ nextHeader: ICMPV6, hopLimit: 255, src: opts.src, dst: ALL_NODES }, icmp);
  return encodeEthernet({ dst: ALL_NODES_MAC, src: opts.mac, ethertype: ETHERTYPE_IPV6 }, ip);
}

/**
 * An ICMPv6 NA message body; null if it is not one or is malformed. With `pseudo` the checksum
 * is verified too (null on mismatch).
 */
export function decodeNa(icmp: Buffer, pseudo?: { src: string; dst: string }): NeighborAdvert | null {
  if (icmp.length < 24 || icmp[0] !== ND_NEIGHBOR_ADVERT || icmp[1] !== 0) return null;
  if (pseudo) {
    const ph = ipv6PseudoHeader(ipToBuffer(pseudo.src), ipToBuffer(pseudo.dst), ICMPV6, icmp.length);
    if (inetChecksum(ph, icmp) !== 0) return null;
  }
  const na: NeighborAdvert = {
    router: (icmp[4] & 0x80) !== 0, solicited: (icmp[4] & 0x40) !== 0, override: (icmp[4] & 0x20) !== 0,
    target: bufferToIp(icmp.subarray(8, 24)),
  };
  // §4.6: options are type, length (8-byte units, 0 is invalid), data.
  for (let off = 24; off + 2 <= icmp.length; ) {
    const len = icmp[off + 1] * 8;
    if (len === 0 || off + len > icmp.length) return null;
    if (icmp[off] === 2 && len >= 8) na.tlla = bufferToMac(icmp.subarray(off + 2, off + 8));
    off += len;
  }
  return na;
}

/** A whole Ethernet frame carrying an NA (checksum verified), with the outer addresses. */
export function decodeNaFrame(frame: Buffer):
  (NeighborAdvert & { srcMac: string; dstMac: string; src: string; dst: string; hopLimit: number }) | null {
  const eth = decodeEthernet(frame);
  if (!eth || eth.ethertype !== ETHERTYPE_IPV6) return null;
  const ip = decodeIpv6(eth.payload);
  if (!ip.ok || ip.header.nextHeader !== ICMPV6) return null;
  const na = decodeNa(ip.payload, ip.header);
  if (!na) return null;
  return { ...na, srcMac: eth.src, dstMac: eth.dst, src: ip.header.src, dst: ip.header.dst, hopLimit: ip.header.hopLimit };
}
