/**
 * Virtual IP addresses over rtnetlink, sending what `ip addr add ADDR/LEN [brd X] [scope S]
 * [label L] dev D [nodad] [noprefixroute]` sends (RTM_NEWADDR, NLM_F_CREATE|NLM_F_EXCL, IFA_LOCAL
 * + IFA_ADDRESS, IFA_BROADCAST, IFA_LABEL, ifa_scope, ifa_flags/IFA_FLAGS).
 */
import { FlagsNew, type rt } from 'netlink';
import { IoError } from './errors';
import { bufferToIp } from '../protocol';
import { addrToBuffer, AF_INET, AF_INET6, familyOf, nlRequest } from './netlink';
import { interfaceInfo } from './packet-socket';

export type ScopeName = 'global' | 'site' | 'link' | 'host' | 'nowhere';
const SCOPES: Record<ScopeName, number> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

export function scopeNumber(s: ScopeName | number | undefined): number {
  if (s === undefined) return 0;
  if (typeof s === 'number') return s;
  const n = SCOPES[s];
  if (n === undefined) throw new IoError('E_IO_ARG', `unknown scope ${String(s)}`);
  return n;
}

export function scopeName(n: number): ScopeName | number {
  const e = Object.entries(SCOPES).find(([, v]) => v === n);
  return e ? (e[0] as ScopeName) : n;
}

export interface VipSpec {
  address: string;
  prefixLen: number;
  /** derived from `address` when omitted */
  family?: 4 | 6;
  dev: string;
  /** IPv4 broadcast: an address, or '+' for the prefix's all-ones host part (as `ip … brd +`) */
  brd?: string;
  scope?: ScopeName | number;
  label?: string;
  nodad?: boolean;
  noprefixroute?: boolean;
}

export interface AddressInfo {
  family: 4 | 6;
  address: string;
  prefixLen: number;
  ifindex: number;
  ifname: string | undefined;
  label: string | undefined;
  broadcast: string | undefined;
  scope: ScopeName | number;
  /** set IFA_F_* names: secondary, nodad, tentative, dadfailed, deprecated, permanent, noprefixroute, … */
  flags: string[];
}

function checkVip(v: VipSpec): { family: 4 | 6; ifindex: number } {
  const family = familyOf(v.address);
  if (v.family !== undefined && v.family !== family) throw new IoError('E_IO_ARG', `${v.address} is not IPv${v.family}`);
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(v.prefixLen) || v.prefixLen < 0 || v.prefixLen > max) {
    throw new IoError('E_IO_ARG', `bad prefix length /${v.prefixLen} for ${v.address}`);
  }
  return { family, ifindex: interfaceInfo(v.dev).ifindex };
}

function broadcastOf(v: VipSpec): Buffer | undefined {
  if (v.brd === undefined) return undefined;
  if (v.brd !== '+') return addrToBuffer(v.brd);
  const a = addrToBuffer(v.address).readUInt32BE(0);
  const host = v.prefixLen >= 32 ? 0 : 0xffffffff >>> v.prefixLen;
  const b = Buffer.alloc(4);
  b.writeUInt32BE((a | host) >>> 0);
  return b;
}

function message(v: VipSpec, withAttrs: boolean): { data: rt.Address; attrs: rt.AddressAttrs } {
  const { family, ifindex } = checkVip(v);
  const flags: rt.AddressFlags = {};
  if (v.nodad) flags.nodad = true;
  const data: rt.Address = {
    family: family === 4 ? AF_INET : AF_INET6,
    prefixlen: v.prefixLen,
    flags,
    scope: scopeNumber(v.scope),
    index: ifindex,
  };
  const local = addrToBuffer(v.address);
  const attrs: rt.AddressAttrs = { local, address: local };
  if (withAttrs) {
    const brd = broadcastOf(v);
    if (brd) {
      if (family !== 4) throw new IoError('E_IO_ARG', 'brd is IPv4 only');
      attrs.broadcast = brd;
    }
    if (v.label !== undefined) attrs.label = v.label;
    // flags above 0xff only fit the 32-bit IFA_FLAGS attribute (iproute2 does the same)
    if (v.noprefixroute) attrs.flags = { ...flags, noprefixroute: true };
  }
  return { data, attrs };
}

/** `ip addr add`. Rejects with IoError E_NETLINK, errno 'EEXIST' if the address is already there. */
export async function addAddress(v: VipSpec): Promise<void> {
  const { data, attrs } = message(v, true);
  await nlRequest(`add ${v.address}/${v.prefixLen} dev ${v.dev}`, (s) =>
    s.newAddress(data, attrs, { flags: FlagsNew.CREATE | FlagsNew.EXCL }),
  );
}

/** `ip addr del`. Rejects with IoError E_NETLINK, errno 'EADDRNOTAVAIL' if it is not there. */
export async function removeAddress(v: VipSpec): Promise<void> {
  const { data, attrs } = message(v, false);
  await nlRequest(`delete ${v.address}/${v.prefixLen} dev ${v.dev}`, (s) => s.delAddress(data, attrs));
}

export function addressInfo(m: rt.AddressMessage, names: Map<number, string>): AddressInfo | undefined {
  const fam = m.data.family === AF_INET ? 4 : m.data.family === AF_INET6 ? 6 : undefined;
  const a = m.attrs.local ?? m.attrs.address;
  if (fam === undefined || !a) return undefined;
  const f = { ...(m.data.flags ?? {}), ...(m.attrs.flags ?? {}) } as Record<string, unknown>;
  return {
    family: fam,
    address: bufferToIp(a),
    prefixLen: m.data.prefixlen ?? 0,
    ifindex: m.data.index ?? 0,
    ifname: names.get(m.data.index ?? 0),
    label: m.attrs.label,
    broadcast: m.attrs.broadcast ? bufferToIp(m.attrs.broadcast) : undefined,
    scope: scopeName(m.data.scope ?? 0),
    flags: Object.keys(f).filter((k) => f[k] === true),
  };
}

export async function linkNames(): Promise<Map<number, string>> {
  const links = await nlRequest('list links', (s) => s.getLinks());
  return new Map(links.filter((l) => l.attrs.ifname).map((l) => [l.data.index ?? 0, l.attrs.ifname ?? '']));
}

/** Addresses of one interface (or all), in kernel order (primary before secondary). */
export async function listAddresses(ifname?: string): Promise<AddressInfo[]> {
  const ifindex = ifname === undefined ? undefined : interfaceInfo(ifname).ifindex;
  // one dump at a time: a second dump on the same netlink socket fails with EBUSY
  const names = await linkNames();
  const msgs = await nlRequest('list addresses', (s) => s.getAddresses());
  return msgs
    .map((m) => addressInfo(m, names))
    .filter((a): a is AddressInfo => a !== undefined && (ifindex === undefined || a.ifindex === ifindex));
}
