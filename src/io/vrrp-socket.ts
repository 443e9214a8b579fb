/**
 * VRRP sockets (IP protocol 112), main thread only: `raw-socket` is a NAN addon that is not
 * context-aware (DESIGN.md facts table), so it never loads in a worker.
 *
 * Options copy keepalived 2.2.7's open_vrrp_send_socket()/open_vrrp_read_socket():
 *  - IPv4: one raw socket for send and receive; SO_BINDTODEVICE, IP_HDRINCL (we build the header
 *    like vrrp_build_ip4: TOS 0xc0, DF clear, TTL 255, our own incrementing id), IP_MULTICAST_ALL 0,
 *    IP_MULTICAST_LOOP 0, IP_MULTICAST_IF (struct ip_mreqn), IP_ADD_MEMBERSHIP (struct ip_mreqn)
 *    unless unicast peers are configured.
 *  - IPv6 send: raw-socket; SO_BINDTODEVICE, IPV6_CHECKSUM 6 (kernel fills the VRRP checksum with
 *    the real pseudo-header), IPV6_MULTICAST_HOPS/UNICAST_HOPS 255, IPV6_MULTICAST_LOOP 0,
 *    IPV6_MULTICAST_IF, IPV6_TCLASS 0xc0, sticky IPV6_PKTINFO when a source address is given.
 *  - IPv6 receive: raw-socket's recvfrom() drops ancillary data, so the hop limit RFC 5798 §5.1.2.2
 *    /§7.1 asks us to check would be lost. Our own addon (native/packet.cc, Vrrp6Receiver) reads the
 *    same kind of socket with recvmsg() + IPV6_RECVHOPLIMIT + IPV6_RECVPKTINFO, so each advert comes
 *    with its hop limit and destination. (An AF_PACKET+BPF reader would also see the hop limit but
 *    would bypass the kernel's per-interface group membership and duplicate IP parsing.)
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import { log } from '../util/log';
import { addon, type NativeVrrp6Receiver } from './addon';
import { IoError, toIoError } from './errors';
import { buildIpv4Header, IPPROTO_VRRP, ipv4ToBytes, ipv6ToBytes, parseIpv4, VRRP_TOS } from './ip-header';
import {
  raw, rawSend, ipMreqn, type RawSocket, SOL_SOCKET, SO_RCVBUF, SO_BINDTODEVICE, IPPROTO_IP, IP_TOS, IP_HDRINCL, IP_MULTICAST_IF,
  IP_MULTICAST_TTL, IP_MULTICAST_LOOP, IP_ADD_MEMBERSHIP, IP_MULTICAST_ALL, IPPROTO_IPV6, IPV6_CHECKSUM, IPV6_UNICAST_HOPS,
  IPV6_MULTICAST_IF, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP, IPV6_MULTICAST_ALL, IPV6_PKTINFO, IPV6_TCLASS,
} from './raw';


export const VRRP_MCAST_V4 = '224.0.0.18';
export const VRRP_MCAST_V6 = 'ff02::12';

export interface VrrpSocketOptions {
  family: 4 | 6;
  ifname: string;
  /** default 224.0.0.18 / ff02::12; ignored when unicastPeers is non-empty */
  mcastGroup?: string;
  /** source address (unicast_src_ip / mcast_src_ip); default: the interface's first IPv4 address
   *  (IPv4) or the kernel's choice, i.e. the link-local address (IPv6) */
  unicastSrc?: string;
  /** unicast_peer list: adverts go to each peer instead of the group, and no group is joined */
  unicastPeers?: string[];
}

export interface ReceivedAdvert {
  family: 4 | 6;
  src: string;
  dst: string;
  /** IPv4 TTL / IPv6 hop limit as received (-1 if the kernel did not report it) */
  ttl: number;
  /** the VRRP packet (IP header stripped) */
  payload: Buffer;
  ifname: string;
}

export interface VrrpSocketStats {
  rxPackets: number;
  /** datagrams that could not be parsed as IP + VRRP (counted, dropped) */
  rxMalformed: number;
  rxTruncated: number;
  rxErrors: number;
  txPackets: number;
  txErrors: number;
}

export interface VrrpSocketEvents {
  advert: [ReceivedAdvert];
  error: [IoError];
}

export class VrrpSocket extends EventEmitter<VrrpSocketEvents> {
  readonly family: 4 | 6;
  readonly ifname: string;
  readonly ifindex: number;
  /** The source address put in (IPv4) or pinned on (IPv6) sent adverts; undefined = kernel's choice. */
  readonly src: string | undefined;
  readonly group: string | undefined;
  readonly peers: readonly string[];
  readonly stats: VrrpSocketStats = { rxPackets: 0, rxMalformed: 0, rxTruncated: 0, rxErrors: 0, txPackets: 0, txErrors: 0 };
  private ipId = 0;
  private closed = false;
  private readonly sock: RawSocket;
  private readonly rx6: NativeVrrp6Receiver | undefined;

  constructor(opts: VrrpSocketOptions) {
    super();
    this.family = opts.family;
    this.ifname = opts.ifname;
    this.peers = [...(opts.unicastPeers ?? [])];
    for (const p of this.peers) checkFamily(p, opts.family, 'unicast peer');
    this.group = this.peers.length > 0 ? undefined : (opts.mcastGroup ?? (opts.family === 4 ? VRRP_MCAST_V4 : VRRP_MCAST_V6));
    if (this.group) checkFamily(this.group, opts.family, 'multicast group');
    if (opts.unicastSrc) checkFamily(opts.unicastSrc, opts.family, 'source address');
    this.ifindex = interfaceIndex(opts.ifname);
    this.src = opts.unicastSrc ?? (opts.family === 4 ? firstIpv4(opts.ifname) : undefined);

    try {
      this.sock = raw.createSocket({
        protocol: IPPROTO_VRRP,
        addressFamily: opts.family === 4 ? raw.AddressFamily.IPv4 : raw.AddressFamily.IPv6,
        bufferSize: 65536,
      });
    } catch (e) {
      throw toIoError('E_IO_SOCKET', `socket(IPv${opts.family}, SOCK_RAW, 112)`, e);
    }
    this.sock.on('error', (e) => this.fail(toIoError('E_IO_RECV', `VRRP socket on ${this.ifname}`, e)));
    try {
      this.setOpt(SOL_SOCKET, SO_BINDTODEVICE, cstring(opts.ifname), 'SO_BINDTODEVICE');
      if (opts.family === 4) this.configureV4();
      else this.configureV6();
    } catch (e) {
      this.sock.close();
      throw e;
    }
    if (opts.family === 4) {
      this.sock.on('message', (buf) => this.onV4(buf));
      this.rx6 = undefined;
    } else {
      // The raw-socket IPv6 socket only sends; adverts are read by the addon's recvmsg() socket.
      this.sock.pauseRecv();
      try {
        this.rx6 = new (addon().Vrrp6Receiver)(opts.ifname, this.group ?? null, (err, payload, src, dst, hop, _ifx, trunc) =>
          this.onV6(err, payload, src, dst, hop, trunc),
        );
      } catch (e) {
        this.sock.close();
        throw toIoError('E_IO_SOCKET', `IPv6 VRRP receive socket on ${opts.ifname}`, e);
      }
    }
  }

  /**
   * Sends one VRRP packet (`payload` = VRRP header + addresses [+ auth]) to `dst`, or to the group,
   * or to every unicast peer. IPv4: one IP id per call, incrementing from 1 (keepalived's capture
   * shows ids 1,2,3…); `ipId` overrides it. Rejects with IoError E_IO_SEND / E_IO_CLOSED.
   */
  async send(payload: Buffer, dst?: string, opts: { ipId?: number } = {}): Promise<void> {
    if (this.closed) throw new IoError('E_IO_CLOSED', `VRRP socket on ${this.ifname} is closed`);
    const targets = dst ? [dst] : this.group ? [this.group] : [...this.peers];
    if (targets.length === 0) throw new IoError('E_IO_ARG', 'no destination: neither group nor unicast peers');
    for (const t of targets) checkFamily(t, this.family, 'destination');
    let id = 0;
    if (this.family === 4) {
      if (opts.ipId !== undefined) id = opts.ipId & 0xffff;
      else {
        this.ipId = this.ipId >= 0xffff ? 1 : this.ipId + 1;
        id = this.ipId;
      }
    }
    for (const t of targets) {
      const pkt =
        this.family === 4
          ? Buffer.concat([buildIpv4Header({ src: this.src ?? '0.0.0.0', dst: t, id, payloadLength: payload.length }), payload])
          : payload;
      await rawSend(this.sock, pkt, t, this.stats, `VRRP send to ${t} on ${this.ifname}`);
    }
  }

  /** Restarts the IPv4 id sequence (next packet gets id 1). */
  resetIpId(): void {
    this.ipId = 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sock.close();
    } catch {
      /* already closed by an error */
    }
    this.rx6?.close();
  }

  private configureV4(): void {
    const ifindex = this.ifindex;
    this.setOpt(IPPROTO_IP, IP_HDRINCL, 1, 'IP_HDRINCL');
    this.setOpt(IPPROTO_IP, IP_MULTICAST_ALL, 0, 'IP_MULTICAST_ALL');
    this.setOpt(IPPROTO_IP, IP_MULTICAST_LOOP, 0, 'IP_MULTICAST_LOOP');
    // With IP_HDRINCL our header's TOS/TTL win; set them anyway, as keepalived does.
    this.setOpt(IPPROTO_IP, IP_TOS, VRRP_TOS, 'IP_TOS');
    this.setOpt(IPPROTO_IP, IP_MULTICAST_TTL, 255, 'IP_MULTICAST_TTL');
    this.setOpt(IPPROTO_IP, IP_MULTICAST_IF, ipMreqn('0.0.0.0', this.src ?? '0.0.0.0', ifindex), 'IP_MULTICAST_IF');
    if (this.group) this.setOpt(IPPROTO_IP, IP_ADD_MEMBERSHIP, ipMreqn(this.group, '0.0.0.0', ifindex), 'IP_ADD_MEMBERSHIP');
  }

  private configureV6(): void {
    this.setOpt(IPPROTO_IPV6, IPV6_CHECKSUM, 6, 'IPV6_CHECKSUM');
    this.setOpt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, 'IPV6_MULTICAST_HOPS');
    this.setOpt(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, 'IPV6_UNICAST_HOPS');
    this.setOpt(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, 'IPV6_MULTICAST_LOOP');
    this.setOpt(IPPROTO_IPV6, IPV6_MULTICAST_IF, this.ifindex, 'IPV6_MULTICAST_IF');
    this.setOpt(IPPROTO_IPV6, IPV6_TCLASS, VRRP_TOS, 'IPV6_TCLASS');
    // This socket never reads: keep the kernel from queueing adverts on it.
    this.setOpt(IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, 'IPV6_MULTICAST_ALL');
    this.setOpt(SOL_SOCKET, SO_RCVBUF, 0, 'SO_RCVBUF');
    if (this.src) {
      // raw-socket has no bind(): a sticky IPV6_PKTINFO (RFC 3542 §6) pins source and interface.
      const pi = Buffer.alloc(20);
      ipv6ToBytes(this.src).copy(pi, 0);
      pi.writeInt32LE(this.ifindex, 16);
      this.setOpt(IPPROTO_IPV6, IPV6_PKTINFO, pi, 'IPV6_PKTINFO');
    }
  }

  private setOpt(level: number, opt: number, value: Buffer | number, name: string): void {
    try {
      if (typeof value === 'number') this.sock.setOption(level, opt, value);
      else this.sock.setOption(level, opt, value, value.length);
    } catch (e) {
      throw toIoError('E_IO_SOCKET', `setsockopt(${name}) on ${this.ifname}`, e);
    }
  }

  private onV4(buf: Buffer): void {
    try {
      const ip = parseIpv4(buf);
      if (!ip.ok || ip.protocol !== IPPROTO_VRRP) {
        this.stats.rxMalformed++;
        return;
      }
      this.stats.rxPackets++;
      this.deliver({ family: 4, src: ip.src, dst: ip.dst, ttl: ip.ttl, payload: ip.payload, ifname: this.ifname });
    } catch (e) {
      this.stats.rxMalformed++;
      log().warn({ err: e, ifname: this.ifname }, 'dropping unparsable IPv4 VRRP datagram');
    }
  }

  private onV6(err: string | null, payload?: Buffer, src?: string, dst?: string, hop?: number, trunc?: boolean): void {
    if (err !== null) {
      this.stats.rxErrors++;
      this.fail(new IoError('E_IO_RECV', `IPv6 VRRP receive on ${this.ifname}: ${err}`));
      return;
    }
    if (trunc) {
      this.stats.rxTruncated++;
      return;
    }
    if (!payload || !src || !dst) {
      this.stats.rxMalformed++;
      return;
    }
    this.stats.rxPackets++;
    this.deliver({ family: 6, src, dst, ttl: hop ?? -1, payload, ifname: this.ifname });
  }

  /** Listener exceptions are logged, never thrown back into raw-socket or the addon. */
  private deliver(a: ReceivedAdvert): void {
    try {
      this.emit('advert', a);
    } catch (e) {
      log().error({ err: e, ifname: this.ifname }, 'advert listener threw');
    }
  }

  private fail(e: IoError): void {
    try {
      if (this.listenerCount('error') > 0) this.emit('error', e);
      else log().error({ err: e, code: e.code, ifname: this.ifname }, e.message);
    } catch (x) {
      log().error({ err: x, ifname: this.ifname }, 'error listener threw');
    }
  }
}

export function openVrrpSocket(opts: VrrpSocketOptions): VrrpSocket {
  return new VrrpSocket(opts);
}

function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]);
}


function checkFamily(addr: string, family: 4 | 6, what: string): void {
  if (net.isIP(addr.split('%')[0] ?? '') !== family) throw new IoError('E_IO_ARG', `${what} ${addr} is not an IPv${family} address`);
}

function interfaceIndex(ifname: string): number {
  try {
    return addon().interfaceInfo(ifname).ifindex;
  } catch (e) {
    throw toIoError('E_IO_NO_INTERFACE', `interface ${ifname}`, e);
  }
}

/** The interface's primary IPv4 address (what keepalived uses when no mcast_src_ip is set). */
function firstIpv4(ifname: string): string | undefined {
  return os.networkInterfaces()[ifname]?.find((a) => a.family === 'IPv4')?.address;
}
