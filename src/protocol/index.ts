/** Pure wire codecs: no IO, no clock, no logger. */
export { inetChecksum, ipv4PseudoHeader, ipv6PseudoHeader } from './checksum';
export { parseIp, ipToBuffer, bufferToIp, ipFamily, canonicalIp, parseMac, macToBuffer, bufferToMac, linkAddrText } from './addresses';
export {
  VrrpVersion, VrrpPacket, VrrpDropReason, Decoded, PseudoCtx, VrrpCtx, VrrpEncodeInput, AdvertExpectation,
  decodeVrrp, encodeVrrp, encodeInputOf, checkAdvert, skipAddrCheck, authDataOf,
  IPPROTO_VRRP, VRRP_TYPE_ADVERT, VRRP_AUTH_NONE, VRRP_AUTH_PASS, VRRP_AUTH_AH, VRRP_TTL, VRRP_TOS, VRRP_MCAST_V4, VRRP_MCAST_V6,
} from './vrrp';
export { decodeVrrpDatagram, encodeVrrpDatagram, ipv4Advert, AdvertIpv4, VrrpDatagram } from './datagram';
export { AhHeader, AhCheck, AhSign, decodeAh, addAh, ahIcv, verifyAh, IPPROTO_AH, AH_LEN } from './ah';
export { Ipv4Header, Ipv4DropReason, decodeIpv4, encodeIpv4 } from './ipv4';
export { Ipv6Header, Ipv6DropReason, decodeIpv6, encodeIpv6 } from './ipv6';
export { EthernetFrame, decodeEthernet, encodeEthernet, multicastMac, ETHERTYPE_IPV4, ETHERTYPE_ARP, ETHERTYPE_IPV6 } from './ethernet';
export { ArpPacket, gratuitousArp, decodeArp } from './arp';
export { NeighborAdvert, unsolicitedNa, unsolicitedNaFrame, decodeNa, decodeNaFrame, ICMPV6, ND_NEIGHBOR_ADVERT } from './ndisc';
export {
  IPVS_GENL_NAME, IPVS_GENL_VERSION, IpvsCmd, IpvsCmdName, SvcFlag, IpvsProtocol, FwdMethod, TunnelType, ServiceKey,
  IpvsService, IpvsDest, IpvsDaemon, IpvsTimeouts, IpvsDecoded, IpvsDropReason, encodeService, encodeServiceKey,
  encodeDest, encodeDaemonStart, encodeDaemonStop, encodeTimeouts, decodeService, decodeDest, decodeDaemon,
  decodeTimeouts, decodeInfo, serviceKeyText, serviceKeyOf, sameServiceKey, hostPort,
} from './ipvs';
