/**
 * Links over rtnetlink: state (`getLink`), change events (`watchLinks`, `watchAddresses` — the
 * link reflector keepalived keeps with its netlink monitor socket) and VMAC macvlans for
 * `use_vmac` (keepalived's netlink_link_add_vmac: macvlan on the parent, MAC 00:00:5e:00:01:VRID
 * for IPv4 / 00:00:5e:00:02:VRID for IPv6, mode private unless `vmac_xmit_base`/bridge is asked).
 */
import { createRtNetlink, FlagsNew, rt, type NetlinkMessage, type RtNetlinkSocket } from 'netlink';
import { log } from '../util/log';
import { IoError, toIoError } from './errors';
import { addressInfo, type AddressInfo, linkNames, listAddresses } from './netlink-addr';
import { linkAddress, macToBytes, MSG, nlRequest } from './netlink';
import { interfaceInfo } from './packet-socket';
import { nlattr } from '../protocol/nlattr';

export interface LinkState {
  ifindex: number;
  ifname: string;
  mac: string | undefined;
  /** administratively up (IFF_UP) */
  up: boolean;
  /** operationally up (IFF_RUNNING: carrier and not dormant) */
  running: boolean;
  mtu: number | undefined;
}

export interface LinkInfo extends LinkState {
  addresses: AddressInfo[];
}

export interface LinkEvent extends LinkState {
  /** RTM_NEWLINK (created or changed) or RTM_DELLINK (removed) */
  type: 'new' | 'del';
}

export interface AddressEvent extends AddressInfo {
  type: 'new' | 'del';
}

export interface Watcher {
  close(): void;
}

function linkState(m: rt.LinkMessage): LinkState {
  return {
    ifindex: m.data.index ?? 0,
    ifname: m.attrs.ifname ?? '',
    mac: linkAddress(m.attrs.address),
    up: m.data.flags?.up === true,
    running: m.data.flags?.running === true,
    mtu: m.attrs.mtu,
  };
}

/** State and addresses of one interface. Rejects with IoError E_IO_NO_INTERFACE / E_NETLINK. */
export async function getLink(ifname: string): Promise<LinkInfo> {
  const { ifindex } = interfaceInfo(ifname);
  const msgs = await nlRequest(`get link ${ifname}`, (s) => s.getLink({ index: ifindex }));
  const m = msgs.find((x) => x.data.index === ifindex);
  if (!m) throw new IoError('E_IO_NO_INTERFACE', `interface ${ifname} vanished`);
  return { ...linkState(m), addresses: await listAddresses(ifname) };
}

/** Lists every link with its state. */
export async function listLinks(): Promise<LinkState[]> {
  const msgs = await nlRequest('list links', (s) => s.getLinks());
  return msgs.map(linkState);
}

function subscribe(groups: (keyof typeof rt.MulticastGroups)[], onMsg: (m: NetlinkMessage) => void): Watcher {
  let s: RtNetlinkSocket;
  try {
    // a big receive buffer: link flaps come in bursts and an overrun (ENOBUFS) loses events
    s = createRtNetlink({ ref: true, recvBufferSize: 1 << 20, sendBufferSize: 0 /* 0 = kernel default */ });
    for (const g of groups) s.addMembership(g);
  } catch (e) {
    throw toIoError('E_NETLINK', `subscribe ${groups.join(',')}`, e);
  }
  s.socket.on('error', (e: Error) => log().error({ err: e, groups }, 'rtnetlink watch socket error'));
  s.socket.on('message', (msgs: NetlinkMessage[]) => {
    for (const m of msgs) {
      try {
        onMsg(m);
      } catch (e) {
        log().error({ err: e, type: m.type }, 'rtnetlink event handler threw');
      }
    }
  });
  let closed = false;
  return {
    close(): void {
      if (closed) return;
      closed = true;
      try {
        s.socket.close();
      } catch {
        /* ignore */
      }
    },
  };
}

/**
 * Calls `cb` for every RTM_NEWLINK/RTM_DELLINK the kernel multicasts (link created, removed, up,
 * down, carrier change, MTU/MAC change). The callback's exceptions are logged, not rethrown.
 */
export function watchLinks(cb: (ev: LinkEvent) => void): Watcher {
  return subscribe(['LINK'], (m) => {
    if (m.type !== MSG.NEWLINK && m.type !== MSG.DELLINK) return;
    const parsed = rt.parseMessage(m.type, m.data) as rt.LinkMessage;
    cb({ type: m.type === MSG.NEWLINK ? 'new' : 'del', ...linkState(parsed) });
  });
}

/** Calls `cb` for every IPv4/IPv6 address added to or removed from any interface. */
export function watchAddresses(cb: (ev: AddressEvent) => void): Watcher {
  const names = new Map<number, string>();
  linkNames().then(
    (n) => n.forEach((v, k) => names.set(k, v)),
    (e: unknown) => log().warn({ err: e }, 'could not list links for address events'),
  );
  return subscribe(['IPV4_IFADDR', 'IPV6_IFADDR', 'LINK'], (m) => {
    if (m.type === MSG.NEWLINK) {
      const l = rt.parseMessage(m.type, m.data) as rt.LinkMessage;
      if (l.data.index !== undefined && l.attrs.ifname) names.set(l.data.index, l.attrs.ifname);
      return;
    }
    if (m.type !== MSG.NEWADDR && m.type !== MSG.DELADDR) return;
    const a = addressInfo(rt.parseMessage(m.type, m.data) as rt.AddressMessage, names);
    if (a) cb({ type: m.type === MSG.NEWADDR ? 'new' : 'del', ...a });
  });
}

export type MacvlanMode = 'private' | 'vepa' | 'bridge' | 'passthru';
const MACVLAN_MODES: Record<MacvlanMode, number> = { private: 1, vepa: 2, bridge: 4, passthru: 8 };

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/**
 * `ip link add link PARENT name NAME address MAC type macvlan mode MODE` (the link stays down;
 * bring it up with setLinkUp). Rejects with IoError E_NETLINK (errno EEXIST if the name is taken).
 */
export async function createMacvlan(parent: string, name: string, mac: string, mode: MacvlanMode = 'private'): Promise<void> {
  const parentIndex = interfaceInfo(parent).ifindex;
  const IFLA_INFO_KIND = 1;
  const IFLA_INFO_DATA = 2;
  const IFLA_MACVLAN_MODE = 1;
  const linkinfo = Buffer.concat([
    nlattr(IFLA_INFO_KIND, Buffer.from('macvlan\0')),
    nlattr(IFLA_INFO_DATA, nlattr(IFLA_MACVLAN_MODE, u32(MACVLAN_MODES[mode]))),
  ]);
  await nlRequest(`create macvlan ${name} on ${parent}`, (s) =>
    s.newLink({}, { ifname: name, link: u32(parentIndex), address: macToBytes(mac), linkinfo }, { flags: FlagsNew.CREATE | FlagsNew.EXCL }),
  );
}

/** `ip link del NAME`. */
export async function deleteLink(name: string): Promise<void> {
  const { ifindex } = interfaceInfo(name);
  await nlRequest(`delete link ${name}`, (s) => s.delLink({ index: ifindex }));
}

/** `ip link set NAME up|down`. */
export async function setLinkUp(name: string, up: boolean): Promise<void> {
  const { ifindex } = interfaceInfo(name);
  await nlRequest(`set link ${name} ${up ? 'up' : 'down'}`, (s) =>
    s.setLink({ index: ifindex, change: { up: true }, flags: up ? { up: true } : {} }),
  );
}
