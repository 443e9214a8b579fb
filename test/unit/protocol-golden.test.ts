/**
 * Golden vectors: every frame in /work/shared/reference/keepalived-wire-facts.md (keepalived 2.2.7
 * captures) decodes to the listed fields and re-encodes byte for byte; plus keepalived 2.2.7
 * IPSEC-AH adverts captured on this machine (auth_type AH).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEthernet, encodeEthernet, decodeVrrpDatagram, encodeVrrpDatagram, decodeIpv6, encodeIpv6,
  decodeVrrp, encodeVrrp, encodeInputOf, gratuitousArp, decodeArp, unsolicitedNa, unsolicitedNaFrame,
  decodeNaFrame, verifyAh, multicastMac, inetChecksum, ipv4Advert, encodeIpv4,
} from '../../src/protocol';

const hex = (s: string) => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');
const MAC = '02:00:c0:00:02:0b';

/** Decode an IPv4 VRRP frame, check fields, re-encode the whole frame from the decoded values. */
function roundTripV4(frame: Buffer, want: { dstMac: string; dst: string; id: number; packet: Record<string, unknown> }) {
  const eth = decodeEthernet(frame);
  assert.ok(eth);
  assert.deepEqual({ dst: eth.dst, src: eth.src, ethertype: eth.ethertype }, { dst: want.dstMac, src: MAC, ethertype: 0x0800 });
  const d = decodeVrrpDatagram(eth.payload);
  assert.ok(d.ok, JSON.stringify(d));
  assert.deepEqual(
    { src: d.ip.src, dst: d.ip.dst, ttl: d.ip.ttl, tos: d.ip.tos, df: d.ip.df, id: d.ip.id, len: d.ip.totalLength },
    { src: '192.0.2.11', dst: want.dst, ttl: 255, tos: 0xc0, df: false, id: want.id, len: eth.payload.length });
  assert.deepEqual(d.packet, want.packet);
  const again = encodeVrrpDatagram(encodeInputOf(d.packet), { src: d.ip.src, dst: d.ip.dst, id: d.ip.id });
  assert.deepEqual(encodeEthernet({ dst: eth.dst, src: eth.src, ethertype: eth.ethertype }, again), frame);
}

const v2Packet = (priority: number, checksum: number) => ({
  version: 2, type: 1, vrid: 51, priority, addrCount: 1, authType: 1, adverInt: 1, maxAdverIntCs: 100,
  checksum, addresses: ['192.0.2.100'], authData: Buffer.from('secret1\0', 'latin1'),
});

test('v2 multicast advert (auth PASS, advert_int 1) matches keepalived 2.2.7 capture', () => {
  roundTripV4(hex(`01 00 5e 00 00 12 02 00 c0 00 02 0b 08 00
    45 c0 00 28 00 01 00 00 ff 70 18 87 c0 00 02 0b e0 00 00 12
    21 33 64 01 01 01 4a 19 c0 00 02 64 73 65 63 72 65 74 31 00`),
  { dstMac: '01:00:5e:00:00:12', dst: '224.0.0.18', id: 1, packet: v2Packet(100, 18969) });
});

test('v2 unicast advert to the peer is the same VRRP message with the peer as IP destination', () => {
  roundTripV4(hex(`02 00 c0 00 02 0c 02 00 c0 00 02 0b 08 00
    45 c0 00 28 00 01 00 00 ff 70 36 8d c0 00 02 0b c0 00 02 0c
    21 33 64 01 01 01 4a 19 c0 00 02 64 73 65 63 72 65 74 31 00`),
  { dstMac: '02:00:c0:00:02:0c', dst: '192.0.2.12', id: 1, packet: v2Packet(100, 18969) });
});

test('graceful stop: priority 0 advert (RFC 3768 §6.4.3) matches keepalived capture', () => {
  roundTripV4(hex(`01 00 5e 00 00 12 02 00 c0 00 02 0b 08 00
    45 c0 00 28 00 02 00 00 ff 70 18 86 c0 00 02 0b e0 00 00 12
    21 33 00 01 01 01 ae 19 c0 00 02 64 73 65 63 72 65 74 31 00`),
  { dstMac: '01:00:5e:00:00:12', dst: '224.0.0.18', id: 2, packet: v2Packet(0, 0xae19) });
});

const v3Packet = (cs: number, checksum: number) => ({
  version: 3, type: 1, vrid: 51, priority: 100, addrCount: 1, authType: 0, adverInt: cs / 100,
  maxAdverIntCs: cs, checksum, addresses: ['192.0.2.100'],
});

test('v3 IPv4 advert, advert_int 1: checksum includes the IPv4 pseudo-header (RFC 5798 §5.2.8)', () => {
  roundTripV4(hex(`01 00 5e 00 00 12 02 00 c0 00 02 0b 08 00
    45 c0 00 20 00 01 00 00 ff 70 18 8f c0 00 02 0b e0 00 00 12
    31 33 64 01 00 64 05 68 c0 00 02 64`),
  { dstMac: '01:00:5e:00:00:12', dst: '224.0.0.18', id: 1, packet: v3Packet(100, 1384) });
});

test('v3 IPv4 advert, advert_int 0.1: Max Adver Int is 10 centiseconds (RFC 5798 §5.2.7)', () => {
  roundTripV4(hex(`01 00 5e 00 00 12 02 00 c0 00 02 0b 08 00
    45 c0 00 20 00 01 00 00 ff 70 18 8f c0 00 02 0b e0 00 00 12
    31 33 64 01 00 0a 05 c2 c0 00 02 64`),
  { dstMac: '01:00:5e:00:00:12', dst: '224.0.0.18', id: 1, packet: v3Packet(10, 1474) });
});

test('v3 IPv6 advert from fe80::c0ff:fe00:20b to ff02::12: pseudo-header checksum 0x7c84', () => {
  const frame = hex(`33 33 00 00 00 12 02 00 c0 00 02 0b 86 dd
    6c 09 b4 d0 00 18 70 ff fe 80 00 00 00 00 00 00 00 00 c0 ff fe 00 02 0b ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 12
    31 33 64 01 00 64 7c 84 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 01 00`);
  const eth = decodeEthernet(frame);
  assert.ok(eth);
  assert.equal(eth.dst, multicastMac(Buffer.from([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12])));
  const ip = decodeIpv6(eth.payload);
  assert.ok(ip.ok);
  assert.deepEqual(ip.header, { version: 6, trafficClass: 0xc0, flowLabel: 636112, payloadLength: 24, nextHeader: 112,
    hopLimit: 255, src: 'fe80::c0ff:fe00:20b', dst: 'ff02::12' });
  const ctx = { family: 6 as const, src: ip.header.src, dst: ip.header.dst };
  const d = decodeVrrp(ip.payload, ctx);
  assert.deepEqual(d, { ok: true, packet: { version: 3, type: 1, vrid: 51, priority: 100, addrCount: 1, authType: 0,
    adverInt: 1, maxAdverIntCs: 100, checksum: 0x7c84, addresses: ['2001:db8::100'] } });
  assert.ok(d.ok);
  const msg = encodeVrrp(encodeInputOf(d.packet), ctx);
  assert.deepEqual(msg, ip.payload);
  const again = encodeIpv6({ trafficClass: 0xc0, flowLabel: 636112, nextHeader: 112, hopLimit: 255, src: ctx.src, dst: ctx.dst }, msg);
  assert.deepEqual(encodeEthernet({ dst: eth.dst, src: eth.src, ethertype: 0x86dd }, again), frame);
});

test('gratuitous ARP for the VIP is the 42-byte request keepalived sends (target MAC broadcast)', () => {
  const frame = hex('ff ff ff ff ff ff 02 00 c0 00 02 0b 08 06 00 01 08 00 06 04 00 01 02 00 c0 00 02 0b c0 00 02 64 ff ff ff ff ff ff c0 00 02 64');
  assert.deepEqual(gratuitousArp(MAC, '192.0.2.100'), frame);
  assert.deepEqual(decodeArp(frame), { dstMac: 'ff:ff:ff:ff:ff:ff', srcMac: MAC, op: 1, senderMac: MAC,
    senderIp: '192.0.2.100', targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: '192.0.2.100' });
});

test('unsolicited NA for an IPv6 VIP: R=0 S=0 O=1 with TLLA, to ff02::1, as keepalived sends it', () => {
  const frame = hex(`33 33 00 00 00 01 02 00 c0 00 02 0b 86 dd 60 00 00 00 00 20 3a ff 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 01 00
    ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 01 88 00 35 22 20 00 00 00 20 01 0d b8 00 00 00 00 00 00 00 00 00 00 01 00
    02 01 02 00 c0 00 02 0b`);
  const opts = { mac: MAC, src: '2001:db8::100', target: '2001:db8::100', router: false };
  assert.deepEqual(unsolicitedNaFrame(opts), frame);
  assert.deepEqual(decodeNaFrame(frame), { router: false, solicited: false, override: true, target: '2001:db8::100',
    tlla: MAC, srcMac: MAC, dstMac: '33:33:00:00:00:01', src: '2001:db8::100', dst: 'ff02::1', hopLimit: 255 });
  // For a raw ICMPv6 socket the body goes out with checksum 0 (the kernel fills it in).
  const body = unsolicitedNa(opts);
  assert.equal(body.readUInt16BE(2), 0);
  assert.deepEqual(body.subarray(4), frame.subarray(54 + 4));
  assert.equal(unsolicitedNa({ ...opts, router: true })[4], 0xa0);
});

// Captured from keepalived 2.2.7 on this machine: `authentication { auth_type AH auth_pass secret1 }`
// multicast (VRID 51) and `auth_pass secret2` with `unicast_peer { 192.0.2.12 }` (VRID 52).
const AH_MCAST = hex(`45c0 0040 0001 0000 ff33 18ac c000 020b e000 0012 7004 0000 c000 020b 0000 0001
  7dd1 9e83 ad00 12f3 d0d5 382a 2133 6401 0201 b665 c000 0264 0000 0000 0000 0000`);
const AH_MCAST_2 = hex(`45c0 0040 0002 0000 ff33 18ab c000 020b e000 0012 7004 0000 c000 020b 0000 0002
  8f11 f1cb 891b 8988 a84c 4a8a 2133 6401 0201 b665 c000 0264 0000 0000 0000 0000`);
const AH_UCAST = hex(`45c0 0040 0001 0000 ff33 36b2 c000 020b c000 020c 7004 0000 c000 020b 0000 0001
  ecc5 03c4 ff26 cdb9 f3ab 63c2 2134 6401 0201 b663 c000 0265 0000 0000 0000 0000`);

test('auth_type AH: keepalived IPSEC-AH adverts decode, verify (HMAC-MD5-96) and re-encode byte for byte', () => {
  const d = decodeVrrpDatagram(AH_MCAST);
  assert.ok(d.ok);
  assert.equal(d.ip.protocol, 51);
  assert.deepEqual(d.ah, { nextHeader: 112, payloadLen: 4, spi: 0xc000020b, seq: 1, icv: hex('7dd19e83ad0012f3d0d5382a') });
  assert.deepEqual(d.packet, { version: 2, type: 1, vrid: 51, priority: 100, addrCount: 1, authType: 2, adverInt: 1,
    maxAdverIntCs: 100, checksum: 0xb665, addresses: ['192.0.2.100'], authData: Buffer.alloc(8) });
  assert.deepEqual(verifyAh(AH_MCAST, { authPass: 'secret1', unicast: false }), { ok: true, seq: 1 });
  assert.deepEqual(verifyAh(AH_MCAST_2, { authPass: 'secret1', unicast: false, lastSeq: 1 }), { ok: true, seq: 2 });
  const enc = (seq: number, id: number) => encodeVrrpDatagram(encodeInputOf(d.packet), { src: '192.0.2.11', id },
    { ah: { seq, authPass: 'secret1', unicast: false } });
  assert.deepEqual(enc(1, 1), AH_MCAST);
  assert.deepEqual(enc(2, 2), AH_MCAST_2);
});

test('auth_type AH with unicast peers: the TTL is left out of the ICV, as keepalived does', () => {
  assert.deepEqual(verifyAh(AH_UCAST, { authPass: 'secret2', unicast: true }), { ok: true, seq: 1 });
  assert.equal(verifyAh(AH_UCAST, { authPass: 'secret2', unicast: false }).ok, false);
  const d = decodeVrrpDatagram(AH_UCAST);
  assert.ok(d.ok);
  assert.deepEqual(encodeVrrpDatagram(encodeInputOf(d.packet), { src: '192.0.2.11', dst: '192.0.2.12', id: 1 },
    { ah: { seq: 1, authPass: 'secret2', unicast: true } }), AH_UCAST);
});

test("ipv4Advert: the header keepalived 2.2.7 puts on its first v2 advert (TOS 0xc0, id 1, DF clear, TTL 255, checksum 0x1887)", () => {
  const packet = hex('45c0 0028 0001 0000 ff70 1887 c000 020b e000 0012  2133 6401 0101 4a19 c000 0264 7365 6372 6574 3100');
  assert.deepEqual(ipv4Advert(packet.subarray(20), { src: '192.0.2.11', dst: '224.0.0.18', id: 1 }), packet);
  // unicast_ttl and an unset source (0.0.0.0: the kernel fills it in under IP_HDRINCL)
  const ttl = ipv4Advert(packet.subarray(20), { src: '0.0.0.0', dst: '192.0.2.12', id: 0xffff, ttl: 64 });
  assert.equal(ttl.subarray(0, 20).toString('hex'), '45c00028ffff00004070b79a00000000c000020c');
});

test('ipv4Advert with AH frames the same header as the plain advert, then inserts the AH header (one encoder for both)', () => {
  const d = decodeVrrpDatagram(AH_MCAST);
  assert.ok(d.ok);
  const msg = AH_MCAST.subarray(44);
  assert.deepEqual(ipv4Advert(msg, { src: '192.0.2.11', dst: '224.0.0.18', id: 1 }, { seq: 1, authPass: 'secret1', unicast: false }), AH_MCAST);
  const plain = ipv4Advert(msg, { src: '192.0.2.11', dst: '224.0.0.18', id: 1 });
  assert.deepEqual(plain, encodeIpv4({ tos: 0xc0, id: 1, ttl: 255, protocol: 112, src: '192.0.2.11', dst: '224.0.0.18' }, msg));
});

test('RFC 1071 §3 worked example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2, checksum 220d', () => {
  assert.equal(inetChecksum(hex('0001f203f4f5f6f7')), 0x220d);
  // the same bytes split at odd boundaries give the same checksum
  assert.equal(inetChecksum(hex('00'), hex('01f203'), hex('f4f5f6f7')), 0x220d);
  assert.equal(inetChecksum(hex('0001f203f4f5f6f7220d')), 0);
});
