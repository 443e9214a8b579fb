/**
 * ARP (RFC 826) for Ethernet/IPv4. keepalived announces a VIP with a gratuitous ARP *request*
 * (RFC 5227 §3 "ARP Announcement"; RFC 5798 §6.4.1 / RFC 3768 §6.4.1): broadcast destination,
 * sender = target = the VIP, and target hardware address ff:ff:ff:ff:ff:ff (not zero) — exactly
 * what keepalived 2.2.7 puts on the wire (reference capture).
 */
import { bufferToIp, bufferToMac, ipToBuffer, macToBuffer } from './addresses';
import { encodeEthernet, decodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from './ethernet';
import { KtsError } from '../util/errors';

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

export interface ArpPacket {
  dstMac: string; srcMac: string; op: number;
  senderMac: string; senderIp: string; targetMac: string; targetIp: string;
}

/** The full 42-byte Ethernet frame (no padding, no FCS). */
export function gratuitousArp(mac: string, ip: string): Buffer {
  const ipb = ipToBuffer(ip);
  if (ipb.length !== 4) throw new KtsError('E_ADDR', `gratuitous ARP needs an IPv4 address: ${ip}`);
  const macb = macToBuffer(mac);
  const arp = Buffer.alloc(28);
  arp.writeUInt16BE(1, 0);              // hardware type: Ethernet
  arp.writeUInt16BE(ETHERTYPE_IPV4, 2); // protocol type
  arp[4] = 6; arp[5] = 4;               // address lengths
  arp.writeUInt16BE(1, 6);              // op: request
  macb.copy(arp, 8); ipb.copy(arp, 14);
  macToBuffer(BROADCAST).copy(arp, 18); ipb.copy(arp, 24);
  return encodeEthernet({ dst: BROADCAST, src: mac, ethertype: ETHERTYPE_ARP }, arp);
}

/** Ethernet/IPv4 ARP frames only; null for anything else. */
export function decodeArp(frame: Buffer): ArpPacket | null {
  const eth = decodeEthernet(frame);
  if (!eth || eth.ethertype !== ETHERTYPE_ARP || eth.payload.length < 28) return null;
  const a = eth.payload;
  if (a.readUInt16BE(0) !== 1 || a.readUInt16BE(2) !== ETHERTYPE_IPV4 || a[4] !== 6 || a[5] !== 4) return null;
  return {
    dstMac: eth.dst, srcMac: eth.src, op: a.readUInt16BE(6),
    senderMac: bufferToMac(a.subarray(8, 14)), senderIp: bufferToIp(a.subarray(14, 18)),
    targetMac: bufferToMac(a.subarray(18, 24)), targetIp: bufferToIp(a.subarray(24, 28)),
  };
}
