/**
 * VRRP advertisement codec: version 2 (RFC 3768 §5) and version 3 (RFC 5798 §5), plus the
 * receive-side checks keepalived 2.2.7 applies (vrrp.c vrrp_check_packet) in checkAdvert.
 *
 * Layout (both versions):  0 ver|type  1 VRID  2 priority  3 count
 *   v2: 4 auth type  5 adver int (s)  6-7 checksum  addresses (4 bytes each)  8 bytes auth data
 *   v3: 4-5 rsvd(4 bits)|max adver int (12 bits, cs)  6-7 checksum  addresses (4 or 16 bytes)
 * keepalived also sends v2 over IPv6 (not in any RFC): 16-byte addresses and no auth data.
 */
import { inetChecksum, ipv4PseudoHeader, ipv6PseudoHeader } from './checksum';
import { bufferToIp, canonicalIp, ipToBuffer, ipFamily } from './addresses';
import { KtsError } from '../util/errors';

export const IPPROTO_VRRP = 112;
export const VRRP_TYPE_ADVERT = 1;
export const VRRP_AUTH_NONE = 0;
export const VRRP_AUTH_PASS = 1;
export const VRRP_AUTH_AH = 2;
export const VRRP_TTL = 255;
/** keepalived's TOS / traffic class for adverts (vrrp_build_ip4, IPV6_TCLASS): precedence 6, internetwork control. */
export const VRRP_TOS = 0xc0;
export const VRRP_MCAST_V4 = '224.0.0.18';
export const VRRP_MCAST_V6 = 'ff02::12';
const AUTH_LEN = 8;

export type VrrpVersion = 2 | 3;

export interface VrrpPacket {
  version: VrrpVersion; type: number; vrid: number; priority: number; addrCount: number;
  /** v2 only (0 none, 1 PASS, 2 AH); 0 for v3 */
  authType: number;
  /** seconds: the v2 field (8 bit); for v3 maxAdverIntCs / 100 */
  adverInt: number;
  /** v3: centiseconds (12 bit); for v2 = adverInt * 100 */
  maxAdverIntCs: number;
  checksum: number;
  addresses: string[];
  /** v2 over IPv4: the 8 auth data bytes as received */
  authData?: Buffer;
}

export type VrrpDropReason =
  | 'too-short' | 'bad-version' | 'bad-type' | 'bad-length' | 'bad-checksum' | 'bad-ttl'
  | 'bad-addr-count' | 'bad-auth-type' | 'auth-type-mismatch' | 'auth-mismatch' | 'unknown-vrid'
  | 'interval-mismatch' | 'addr-mismatch' | 'bad-src' | 'bad-dst';

export type Decoded<T> = { ok: true; packet: T } | { ok: false; reason: VrrpDropReason; detail?: string };

/** Addresses for the checksum pseudo-header (those of the enclosing IP header). */
export interface PseudoCtx { family: 4 | 6; src: string; dst: string; }

/**
 * `v3ChecksumAsV2`: keepalived's `v3_checksum_as_v2` (and RFC 9568's reading): the VRRPv3 IPv4
 * checksum covers the VRRP message only, without the pseudo-header. Ignored for IPv6.
 */
export type VrrpCtx = PseudoCtx & { v3ChecksumAsV2?: boolean };

function addrLen(family: 4 | 6): number { return family === 4 ? 4 : 16; }

function hasAuthField(version: VrrpVersion, family: 4 | 6): boolean { return version === 2 && family === 4; }

/**
 * RFC 3768 §5.3.8: v2 checksum over the VRRP message only. RFC 5798 §5.2.8: v3 checksum with
 * the IPv4/IPv6 pseudo-header (RFC 8200 §8.1), protocol 112. keepalived's IPv6 socket has the
 * kernel compute the pseudo-header checksum for v2 as well.
 */
function checksumOf(msg: Buffer, version: VrrpVersion, ctx: VrrpCtx): number {
  if (ctx.family === 4 && (version === 2 || ctx.v3ChecksumAsV2)) return inetChecksum(msg);
  const src = ipToBuffer(ctx.src), dst = ipToBuffer(ctx.dst);
  const want = addrLen(ctx.family);
  if (src.length !== want || dst.length !== want) {
    throw new KtsError('E_PSEUDO', `pseudo-header addresses ${ctx.src} → ${ctx.dst} are not IPv${ctx.family}`);
  }
  const ph = ctx.family === 4
    ? ipv4PseudoHeader(src, dst, IPPROTO_VRRP, msg.length)
    : ipv6PseudoHeader(src, dst, IPPROTO_VRRP, msg.length);
  return inetChecksum(ph, msg);
}

/** Decode one VRRP message (the IP payload, after any AH header). Never throws on `buf`. */
export function decodeVrrp(buf: Buffer, ctx: VrrpCtx): Decoded<VrrpPacket> {
  if (buf.length < 8) return { ok: false, reason: 'too-short', detail: `${buf.length} bytes` };
  const version = buf[0] >> 4;
  if (version !== 2 && version !== 3) return { ok: false, reason: 'bad-version', detail: `version ${version}` };
  const type = buf[0] & 0x0f;
  // RFC 3768 §5.3.2 / RFC 5798 §5.2.2: only type 1 (ADVERTISEMENT) is defined.
  if (type !== VRRP_TYPE_ADVERT) return { ok: false, reason: 'bad-type', detail: `type ${type}` };
  const addrCount = buf[3];
  const alen = addrLen(ctx.family);
  const expected = 8 + addrCount * alen + (hasAuthField(version, ctx.family) ? AUTH_LEN : 0);
  // keepalived: "vrrp packet too long/short" unless the length is exactly what count implies.
  if (buf.length !== expected) {
    return { ok: false, reason: 'bad-length', detail: `${buf.length} bytes, ${addrCount} addresses need ${expected}` };
  }
  if (checksumOf(buf, version, ctx) !== 0) return { ok: false, reason: 'bad-checksum' };
  const addresses: string[] = [];
  for (let i = 0; i < addrCount; i++) addresses.push(bufferToIp(buf.subarray(8 + i * alen, 8 + (i + 1) * alen)));
  const common = { version: version as VrrpVersion, type, vrid: buf[1], priority: buf[2], addrCount,
    checksum: buf.readUInt16BE(6), addresses };
  if (version === 2) {
    const packet: VrrpPacket = { ...common, authType: buf[4], adverInt: buf[5], maxAdverIntCs: buf[5] * 100 };
    if (hasAuthField(2, ctx.family)) packet.authData = Buffer.from(buf.subarray(buf.length - AUTH_LEN));
    return { ok: true, packet };
  }
  // RFC 5798 §5.2.5: the 4 reserved bits are ignored on receipt.
  const cs = buf.readUInt16BE(4) & 0x0fff;
  return { ok: true, packet: { ...common, authType: 0, adverInt: cs / 100, maxAdverIntCs: cs } };
}

export interface VrrpEncodeInput {
  version: VrrpVersion; vrid: number; priority: number; addresses: string[];
  /** v2: whole seconds 1..255; v3: used when maxAdverIntCs is absent (seconds, rounded to cs) */
  adverInt?: number;
  /** v3: 1..4095 centiseconds */
  maxAdverIntCs?: number;
  /** v2: 0 none (default), 1 PASS, 2 AH (auth data zero; the AH header is ah.ts's job) */
  authType?: number;
  /** v2 PASS: keepalived uses the first 8 bytes, zero-padded */
  authPass?: string;
  /** v2 over IPv4: exact 8 auth data bytes (overrides authPass) */
  authData?: Buffer;
}

function intIn(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new KtsError('E_RANGE', `${name} must be an integer ${lo}..${hi}, got ${v}`);
  return v;
}

/** keepalived's 8-byte auth data for `auth_pass`: first 8 bytes, zero-padded (RFC 3768 §5.3.10). */
export function authDataOf(pass: string | undefined): Buffer {
  const out = Buffer.alloc(AUTH_LEN);
  if (pass) Buffer.from(pass, 'latin1').copy(out, 0, 0, AUTH_LEN);
  return out;
}

/** Encode a VRRP message with its checksum. Throws KtsError on out-of-range input. */
export function encodeVrrp(p: VrrpEncodeInput, ctx: VrrpCtx): Buffer {
  const alen = addrLen(ctx.family);
  const withAuth = hasAuthField(p.version, ctx.family);
  const n = intIn('address count', p.addresses.length, 0, 255);
  const out = Buffer.alloc(8 + n * alen + (withAuth ? AUTH_LEN : 0));
  if (p.version !== 2 && p.version !== 3) throw new KtsError('E_RANGE', `VRRP version must be 2 or 3`);
  out[0] = (p.version << 4) | VRRP_TYPE_ADVERT;
  out[1] = intIn('vrid', p.vrid, 1, 255);
  out[2] = intIn('priority', p.priority, 0, 255);
  out[3] = n;
  if (p.version === 2) {
    out[4] = intIn('auth type', p.authType ?? VRRP_AUTH_NONE, 0, 255);
    out[5] = intIn('advert_int (v2 seconds)', p.adverInt ?? 1, 1, 255);
  } else {
    const cs = p.maxAdverIntCs ?? Math.round((p.adverInt ?? 1) * 100);
    out.writeUInt16BE(intIn('max advert int (cs)', cs, 1, 4095), 4); // reserved bits zero
  }
  p.addresses.forEach((a, i) => {
    const b = ipToBuffer(a);
    if (b.length !== alen) throw new KtsError('E_ADDR', `address ${a} is not IPv${ctx.family}`);
    b.copy(out, 8 + i * alen);
  });
  if (withAuth && (p.authType ?? 0) === VRRP_AUTH_PASS) {
    (p.authData ?? authDataOf(p.authPass)).copy(out, out.length - AUTH_LEN, 0, AUTH_LEN);
  }
  out.writeUInt16BE(checksumOf(out, p.version, ctx), 6);
  return out;
}

/** The encoder input that reproduces a decoded packet. */
export function encodeInputOf(p: VrrpPacket): VrrpEncodeInput {
  return p.version === 2
    ? { version: 2, vrid: p.vrid, priority: p.priority, addresses: p.addresses, adverInt: p.adverInt,
        authType: p.authType, ...(p.authData ? { authData: p.authData } : {}) }
    : { version: 3, vrid: p.vrid, priority: p.priority, addresses: p.addresses, maxAdverIntCs: p.maxAdverIntCs };
}

/** What the receiving instance expects (keepalived's vrrp_t fields used by vrrp_check_packet). */
export interface AdvertExpectation {
  vrid: number; version: VrrpVersion; family: 4 | 6;
  /** configured advert_int, seconds */
  adverInt: number;
  authType: number; authPass?: string;
  /** configured VIPs (virtual_ipaddress, not the excluded ones) */
  addresses: string[];
  /** true = do not check count and addresses for this packet; compute with skipAddrCheck() */
  skipCheckAdvAddr: boolean;
  /** received TTL / hop limit */
  ttl: number;
  strict: boolean;
  /** unicast mode: TTL is not required to be 255; with checkSrc the source must be a peer */
  unicast?: { peers: { address: string; minTtl?: number; maxTtl?: number }[]; checkSrc: boolean };
  /** source / destination of the received IP packet, for the unicast checks */
  src?: string;
  dst?: string;
  /**
   * RFC 5798 §7.1: accept an address-list mismatch from the address owner (priority 255).
   * keepalived 2.2.7 never does (it drops), so this is off unless asked for.
   */
  rfc5798OwnerAccept?: boolean;
}

/**
 * keepalived (vrrp_state_backup): the address check is skipped only when `vrrp_skip_check_adv_addr`
 * / `skip_check_adv_addr` is set, we are BACKUP, and the advert comes from the master we already
 * follow. In MASTER state the addresses are always checked.
 */
export function skipAddrCheck(o: { skipCheckAdvAddr: boolean; state: 'BACKUP' | 'MASTER' | 'FAULT' | 'INIT';
  src: string; masterSrc?: string | null }): boolean {
  if (!o.skipCheckAdvAddr || o.state !== 'BACKUP' || !o.masterSrc) return false;
  return sameIp(o.src, o.masterSrc);
}

function sameIp(a: string, b: string): boolean {
  if (ipFamily(a) === null || ipFamily(b) === null) return a === b;
  return canonicalIp(a) === canonicalIp(b);
}

function isMulticast(ip: string): boolean {
  const b = ipToBuffer(ip);
  return b.length === 4 ? (b[0] & 0xf0) === 0xe0 : b[0] === 0xff;
}

/**
 * Validate a decoded advert against the receiving instance, in keepalived 2.2.7's order
 * (vrrp_check_packet; RFC 3768 §7.1, RFC 5798 §7.1). null = accept. AH verification needs the
 * whole IP packet: do it with ah.ts verifyAh before calling this.
 */
export function checkAdvert(p: VrrpPacket, e: AdvertExpectation): VrrpDropReason | 'addr-mismatch-accepted' | null {
  // Dispatch is by VRID: an advert for a VRID we don't run belongs to no instance.
  if (p.vrid !== e.vrid) return 'unknown-vrid';
  // MUST verify that the IP TTL / hop limit is 255 — not for unicast peers (keepalived); strict
  // mode forbids unicast, so it always checks.
  const unicast = e.unicast && !e.strict ? e.unicast : undefined;
  if (!unicast && e.ttl !== VRRP_TTL) return 'bad-ttl';
  if (p.version !== e.version) return 'bad-version';
  if (p.version === 2) {
    if (p.authType > VRRP_AUTH_AH) return 'bad-auth-type';
    if (p.authType !== e.authType) return 'auth-type-mismatch';
    if (p.authType === VRRP_AUTH_PASS && e.family === 4
        && !(p.authData ?? Buffer.alloc(0)).equals(authDataOf(e.authPass))) return 'auth-mismatch';
    // RFC 3768 §7.1: MUST verify the Adver Interval matches (v3 follows the master instead).
    if (p.adverInt * 100 !== Math.round(e.adverInt * 100)) return 'interval-mismatch';
  }
  const check = !e.skipCheckAdvAddr;
  if (check && p.addrCount !== e.addresses.length) return 'bad-addr-count';
  // RFC 5798 §5.2.6: the minimum count is 1 (keepalived enforces VIPs in strict mode by config).
  if (e.strict && p.addrCount === 0) return 'bad-addr-count';
  // keepalived: "Expected multicast packet but received unicast packet" and vice versa.
  if (e.dst !== undefined && ipFamily(e.dst) !== null && isMulticast(e.dst) === !!unicast) return 'bad-dst';
  if (check) {
    const got = new Set(p.addresses.map((a) => canonicalIp(a)));
    if (!e.addresses.every((a) => got.has(canonicalIp(a)))) {
      return e.rfc5798OwnerAccept && p.version === 3 && p.priority === 255 ? 'addr-mismatch-accepted' : 'addr-mismatch';
    }
    if (unicast?.checkSrc) {
      const peer = e.src === undefined ? undefined : unicast.peers.find((x) => sameIp(x.address, e.src as string));
      if (!peer) return 'bad-src';
      if (e.ttl < (peer.minTtl ?? 0) || e.ttl > (peer.maxTtl ?? 255)) return 'bad-ttl';
    }
  }
  return null;
}
