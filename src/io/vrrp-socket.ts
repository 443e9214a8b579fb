/**
 * VRRP sockets (IP protocol 112), main thread only: `raw-socket` is a NAN addon that is not
 * context-aware (DESIGN.md facts table), so it never loads in a worker.
 *
 * Options copy keepalived 2.2.7's open_vrrp_send_socket()/open_vrrp_read_socket():
 *  - IPv4: one raw socket for send and receive, options as raw.ts configureIpv4; the header is
 *    src/protocol's ipv4Advert (keepalived's vrrp_build_ip4) with our own incrementing id.
 *  - IPv4 `auth_type AH`: keepalived opens an IPPROTO_AH (51) socket with the same options
 *    (vrrp.c open_vrrp_read_socket); adverts then arrive as IPv4 + AH + VRRP. With `ah` this
 *    socket is that one: it sends whole datagrams built by src/protocol and hands up whole
 *    received datagrams ('datagram' events), since the AH ICV covers the IP header.
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
import os from 'node:os';
import { log } from '../util/log';
import { ipFamily, ipToBuffer, ipv4Advert, IPPROTO_AH, IPPROTO_VRRP, VRRP_MCAST_V4, VRRP_MCAST_V6, VRRP_TOS } from '../protocol';
import { addon, type NativeVrrp6Receiver } from './addon';
import { IoError, toIoError } from './errors';
import { interfaceInfo } from './packet-socket';
import {
  configureIpv4, openRaw, rawSend, receivedIpv4, setOpt, type RawSocket, SOL_SOCKET, SO_RCVBUF, IPPROTO_IPV6, IPV6_CHECKSUM,
  IPV6_UNICAST_HOPS, IPV6_MULTICAST_IF, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_LOOP, IPV6_MULTICAST_ALL, IPV6_PKTINFO, IPV6_TCLASS,
} from './raw';

export { VRRP_MCAST_V4, VRRP_MCAST_V6 };

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
  /** IPv4 only: the IPPROTO_AH socket of `auth_type AH` (see above) */
  ah?: boolean;
}

/** What the AH socket hands up: the whole IPv4 datagram, header + AH + VRRP. */
export interface ReceivedAhDatagram {
  src: string;
  dst: string;
  ttl: number;
  datagram: Buffer;
  ifname: string;
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
  datagram: [ReceivedAhDatagram];
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
  /** IP protocol: 112, or 51 for the AH socket */
  readonly protocol: number;
  readonly stats: VrrpSocketStats = { rxPackets: 0, rxMalformed: 0, rxTruncated: 0, rxErrors: 0, txPackets: 0, txErrors: 0 };
  private ipId = 0;
  private closed = false;
  private readonly sock: RawSocket;
  private readonly rx6: NativeVrrp6Receiver | undefined;

  constructor(opts: VrrpSocketOptions) {
    super();
    this.family = opts.family;
    this.ifname = opts.ifname;
    if (opts.ah && opts.family !== 4) throw new IoError('E_IO_ARG', 'AH authentication is IPv4 only');
    this.protocol = opts.ah ? IPPROTO_AH : IPPROTO_VRRP;
    this.peers = [...(opts.unicastPeers ?? [])];
    for (const p of this.peers) checkFamily(p, opts.family, 'unicast peer');
    this.group = this.peers.length > 0 ? undefined : (opts.mcastGroup ?? (opts.family === 4 ? VRRP_MCAST_V4 : VRRP_MCAST_V6));
    if (this.group) checkFamily(this.group, opts.family, 'multicast group');
    if (opts.unicastSrc) checkFamily(opts.unicastSrc, opts.family, 'source address');
    this.ifindex = interfaceInfo(opts.ifname).ifindex;
    this.src = opts.unicastSrc ?? (opts.family === 4 ? firstIpv4(opts.ifname) : undefined);

    this.sock = openRaw(this.protocol, opts.family, opts.ifname);
    this.sock.on('error', (e) => this.fail(toIoError('E_IO_RECV', `${this.what} on ${this.ifname}`, e)));
    if (opts.family === 4) {
      configureIpv4(this.sock, this.ifname, this.ifindex, this.src, this.group);
      this.sock.on('message', (buf) => this.onV4(buf));
      this.rx6 = undefined;
    } else {
      this.configureV6();
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
   * shows ids 1,2,3…); `ipId` overrides it. `dryRun` builds the datagrams and sends nothing (a
   * warm-up: the first advert a BACKUP ever sends is its takeover's). Rejects with IoError E_IO_SEND / E_IO_CLOSED.
   */
  async send(payload: Buffer, dst?: string, opts: { ipId?: number; dryRun?: boolean } = {}): Promise<void> {
    if (this.closed) throw new IoError('E_IO_CLOSED', `VRRP socket on ${this.ifname} is closed`);
    if (this.protocol === IPPROTO_AH) throw new IoError('E_IO_ARG', 'the AH socket sends whole datagrams (sendDatagram)');
    const targets = dst ? [dst] : this.group ? [this.group] : [...this.peers];
    if (targets.length === 0) throw new IoError('E_IO_ARG', 'no destination: neither group nor unicast peers');
    for (const t of targets) checkFamily(t, this.family, 'destination');
    let id = 0;
    if (this.family === 4) {
      if (opts.ipId !== undefined) id = opts.ipId & 0xffff;
      else if (opts.dryRun) id = this.ipId;
      else {
        this.ipId = this.ipId >= 0xffff ? 1 : this.ipId + 1;
        id = this.ipId;
      }
    }
    for (const t of targets) {
      const pkt = this.family === 4 ? ipv4Advert(payload, { src: this.src ?? '0.0.0.0', dst: t, id }) : payload;
      if (opts.dryRun) continue;
      await this.sendDatagram(pkt, t);
    }
  }

  /** Sends one datagram as it is (IPv4: header included, e.g. an AH advert from src/protocol) to `dst`. */
  sendDatagram(datagram: Buffer, dst: string): Promise<void> {
    if (this.closed) return Promise.reject(new IoError('E_IO_CLOSED', `${this.what} on ${this.ifname} is closed`));
    return rawSend(this.sock, datagram, dst, this.stats, `${this.what} send to ${dst} on ${this.ifname}`);
  }

  private get what(): string {
    return this.protocol === IPPROTO_AH ? 'AH socket' : 'VRRP socket';
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

  private configureV6(): void {
    const set = (level: number, opt: number, value: Buffer | number, name: string): void => setOpt(this.sock, this.ifname, level, opt, value, name);
    try {
      set(IPPROTO_IPV6, IPV6_CHECKSUM, 6, 'IPV6_CHECKSUM');
      set(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, 'IPV6_MULTICAST_HOPS');
      set(IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, 'IPV6_UNICAST_HOPS');
      set(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, 'IPV6_MULTICAST_LOOP');
      set(IPPROTO_IPV6, IPV6_MULTICAST_IF, this.ifindex, 'IPV6_MULTICAST_IF');
      set(IPPROTO_IPV6, IPV6_TCLASS, VRRP_TOS, 'IPV6_TCLASS');
      // This socket never reads: keep the kernel from queueing adverts on it.
      set(IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0, 'IPV6_MULTICAST_ALL');
      set(SOL_SOCKET, SO_RCVBUF, 0, 'SO_RCVBUF');
      if (this.src) {
        // raw-socket has no bind(): a sticky IPV6_PKTINFO (RFC 3542 §6) pins source and interface.
        const pi = Buffer.alloc(20);
        ipToBuffer(this.src).copy(pi, 0);
        pi.writeInt32LE(this.ifindex, 16);
        set(IPPROTO_IPV6, IPV6_PKTINFO, pi, 'IPV6_PKTINFO');
      }
    } catch (e) {
      this.sock.close();
      throw e;
    }
  }

  private onV4(buf: Buffer): void {
    const d = receivedIpv4(buf, this.protocol);
    if (!d) {
      this.stats.rxMalformed++;
      return;
    }
    this.stats.rxPackets++;
    const { src, dst, ttl } = d.header;
    if (this.protocol === IPPROTO_AH) this.deliver('datagram', { src, dst, ttl, datagram: d.datagram, ifname: this.ifname });
    else this.deliver('advert', { family: 4, src, dst, ttl, payload: d.payload, ifname: this.ifname });
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
    this.deliver('advert', { family: 6, src, dst, ttl: hop ?? -1, payload, ifname: this.ifname });
  }

  /** Listener exceptions are logged, never thrown back into raw-socket or the addon. */
  private deliver<K extends 'advert' | 'datagram'>(event: K, a: VrrpSocketEvents[K][0]): void {
    try {
      (this.emit as (k: K, a: VrrpSocketEvents[K][0]) => boolean)(event, a);
    } catch (e) {
      log().error({ err: e, ifname: this.ifname }, `${event} listener threw`);
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

/** Options of the `auth_type AH` socket (IPv4): `src` is the advert source (IP_MULTICAST_IF). */
export interface AhSocketOptions {
  ifname: string;
  mcastGroup?: string;
  unicastPeers?: string[];
  src?: string;
}

export type AhSocket = VrrpSocket;

/** The IPPROTO_AH socket of an `auth_type AH` instance: send with sendDatagram, receive 'datagram' events. */
export function openAhSocket(opts: AhSocketOptions): AhSocket {
  return new VrrpSocket({ family: 4, ifname: opts.ifname, mcastGroup: opts.mcastGroup, unicastPeers: opts.unicastPeers, unicastSrc: opts.src, ah: true });
}

function checkFamily(addr: string, family: 4 | 6, what: string): void {
  if (ipFamily(addr) !== family) throw new IoError('E_IO_ARG', `${what} ${addr} is not an IPv${family} address`);
}

/** The interface's primary IPv4 address (what keepalived uses when no mcast_src_ip is set). */
function firstIpv4(ifname: string): string | undefined {
  return os.networkInterfaces()[ifname]?.find((a) => a.family === 'IPv4')?.address;
}
