/**
 * Resolving a `vrrp_instance` of the typed config into what the VRRP actor and the io layer need.
 * Pure apart from the interface facts passed in, so a reload can diff resolved instances.
 */
import type { GlobalDefs, VrrpInstance, VirtualAddress } from '../config';
import type { InstanceParams } from '../actors/vrrp/types';
import { VRRP_AUTH_AH, VRRP_AUTH_NONE, VRRP_AUTH_PASS, encodeVrrp } from '../protocol/vrrp';

/** keepalived's VMAC address for a VRID: 00:00:5e:00:01:VRID (IPv4) / 00:00:5e:00:02:VRID (IPv6). */
export function vmacMac(vrid: number, family: 4 | 6): string {
  return `00:00:5e:00:0${family === 4 ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}

export interface ResolvedInstance {
  name: string;
  ifname: string;
  family: 4 | 6;
  /** Source address put in our adverts (unicast_src_ip, mcast_src_ip or the interface's primary). */
  src: string;
  /** Multicast group, or null in unicast mode. */
  group: string | null;
  peers: { address: string; minTtl?: number; maxTtl?: number }[];
  authType: number;
  authPass?: string;
  vips: VirtualAddress[];
  /** Also held while MASTER, but not advertised (virtual_ipaddress_excluded). */
  excluded: VirtualAddress[];
  params: InstanceParams;
  skipCheckAdvAddr: boolean;
  checkUnicastSrc: boolean;
  strict: boolean;
  /** use_vmac: the macvlan keepalived creates on `ifname` (MAC 00:00:5e:00:01:VRID, v6 …:02:VRID) */
  vmac?: { name: string; mac: string; xmitBase: boolean };
  /** where adverts are sent and received: the VMAC unless vmac_xmit_base, else `ifname` */
  sockIfname: string;
  /** where VIPs without a dev (and their GARPs/NAs) go: the VMAC, else `ifname` */
  vipIfname: string;
}

export interface InterfaceFacts {
  /** The interface's primary IPv4 address, if any. */
  ipv4?: string;
  /** The interface's IPv6 link-local address, if any. */
  linkLocal6?: string;
}

/** keepalived: an IPv4 instance advertises from the interface's primary address, IPv6 from its link-local. */
export function resolveInstance(vi: VrrpInstance, g: GlobalDefs, facts: InterfaceFacts): ResolvedInstance {
  const ifname = vi.interface ?? '';
  const family = vi.family;
  const src = vi.unicastSrcIp ?? vi.mcastSrcIp ?? (family === 4 ? facts.ipv4 : facts.linkLocal6) ?? (family === 4 ? '0.0.0.0' : '::');
  const unicast = vi.unicastPeers.length > 0;
  const authType = vi.version === 3 || !vi.authentication ? VRRP_AUTH_NONE : vi.authentication.type === 'AH' ? VRRP_AUTH_AH : VRRP_AUTH_PASS;
  const advertIntCs = vi.version === 2 ? Math.max(1, Math.round(vi.advertInt)) * 100 : vi.advertIntCs;
  const params: InstanceParams = {
    name: vi.name,
    vrid: vi.virtualRouterId,
    version: vi.version,
    family,
    priority: vi.priority,
    advertIntCs,
    initialState: vi.state,
    preempt: !vi.nopreempt,
    preemptDelayMs: Math.round(vi.preemptDelay * 1000),
    accept: vi.accept,
    primaryAddress: src,
    vips: vi.virtualIpaddress.map((a) => a.address),
    lowerPrioNoAdvert: vi.lowerPrioNoAdvert,
    higherPrioSendAdvert: vi.higherPrioSendAdvert,
    garp: {
      masterDelayMs: Math.round(vi.garpMasterDelay * 1000),
      masterRepeat: vi.garpMasterRepeat,
      masterRefreshMs: Math.round(vi.garpMasterRefresh * 1000),
      masterRefreshRepeat: vi.garpMasterRefreshRepeat,
      intervalMs: Math.round((family === 4 ? vi.garpInterval : vi.gnaInterval) * 1000),
      lowerPrioDelayMs: Math.round(vi.garpLowerPrioDelay * 1000),
      lowerPrioRepeat: vi.garpLowerPrioRepeat,
    },
  };
  const vmac = vi.useVmac !== undefined
    ? { name: vi.useVmac || `vrrp.${vi.virtualRouterId}`, mac: vmacMac(vi.virtualRouterId, family), xmitBase: vi.vmacXmitBase }
    : undefined;
  return {
    name: vi.name,
    ifname,
    vmac,
    sockIfname: vmac && !vmac.xmitBase ? vmac.name : ifname,
    vipIfname: vmac ? vmac.name : ifname,
    family,
    src,
    group: unicast ? null : vi.mcastGroup,
    peers: vi.unicastPeers.map((p) => ({ ...p })),
    authType,
    authPass: vi.authentication?.pass,
    vips: vi.virtualIpaddress,
    excluded: vi.virtualIpaddressExcluded,
    params,
    skipCheckAdvAddr: vi.skipCheckAdvAddr || g.vrrpSkipCheckAdvAddr,
    checkUnicastSrc: vi.checkUnicastSrc || g.vrrpCheckUnicastSrc,
    strict: vi.strictMode || g.vrrpStrict,
  };
}

/** A stable key of everything that makes an instance different (reload diff). */
export function instanceFingerprint(r: ResolvedInstance, vi: VrrpInstance): string {
  const { file: _f, line: _l, ...rest } = vi;
  return JSON.stringify({ r: { ...r, vips: r.vips.map((v) => v.raw), excluded: r.excluded.map((v) => v.raw) }, vi: { ...rest, virtualIpaddress: undefined, virtualIpaddressExcluded: undefined } });
}

const payloads = new WeakMap<ResolvedInstance, Map<string, Buffer>>();

/**
 * The VRRP message (IP payload) this instance advertises with `priority` to `dst`: what keepalived
 * 2.2.7 sends for the same configuration (pinned against its captures in protocol-captures tests).
 * The same bytes every time for a given priority and destination (the checksum covers nothing
 * else), so each is encoded once and kept with the resolved instance (a reload resolves a new one);
 * raw-socket copies it on send and ipv4Advert into the datagram, so nobody writes into it.
 */
export function advertPayload(r: ResolvedInstance, priority: number, dst: string): Buffer {
  let m = payloads.get(r);
  if (!m) payloads.set(r, (m = new Map()));
  const key = `${priority}|${dst}`;
  let b = m.get(key);
  if (!b) {
    b = encodePayload(r, priority, dst);
    if (m.size < 64) m.set(key, b); // a tracker swinging the priority around cannot grow it without bound
  }
  return b;
}

function encodePayload(r: ResolvedInstance, priority: number, dst: string): Buffer {
  return encodeVrrp(
    {
      version: r.params.version, vrid: r.params.vrid, priority, addresses: r.params.vips,
      adverInt: Math.max(1, Math.round(r.params.advertIntCs / 100)), maxAdverIntCs: r.params.advertIntCs,
      authType: r.authType, authPass: r.authPass,
    },
    { family: r.family, src: r.src, dst },
  );
}
