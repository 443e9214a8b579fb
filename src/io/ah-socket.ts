/**
 * IPsec AH (IP protocol 51) raw socket for VRRPv2 `auth_type AH`, main thread only (raw-socket is
 * not context-aware). keepalived 2.2.7 opens one IPPROTO_AH socket next to the IPPROTO_VRRP one
 * when an instance authenticates with AH (vrrp.c open_vrrp_read_socket): adverts then arrive as
 * IPv4 + AH + VRRP. This socket sends whole datagrams built by src/protocol (IP_HDRINCL: the IPv4
 * header, AH and VRRP message are ours byte for byte) and hands up whole received datagrams, since
 * the AH ICV covers the IP header.
 */
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { log } from '../util/log';
import { addon } from './addon';
import { IoError, toIoError } from './errors';
import { parseIpv4 } from './ip-header';
import { raw, rawSend, ipMreqn, type RawSocket, SOL_SOCKET, SO_BINDTODEVICE, IPPROTO_IP, IP_HDRINCL, IP_MULTICAST_IF, IP_MULTICAST_LOOP, IP_ADD_MEMBERSHIP, IP_MULTICAST_ALL } from './raw';

export const IPPROTO_AH = 51;

export interface AhSocketOptions {
  ifname: string;
  /** multicast group to join (default 224.0.0.18); none when unicastPeers is non-empty */
  mcastGroup?: string;
  unicastPeers?: string[];
  /** source address for IP_MULTICAST_IF */
  src?: string;
}

export interface ReceivedAhDatagram {
  src: string;
  dst: string;
  ttl: number;
  /** the whole IPv4 datagram: header + AH + VRRP */
  datagram: Buffer;
  ifname: string;
}

export class AhSocket extends EventEmitter<{ datagram: [ReceivedAhDatagram]; error: [IoError] }> {
  readonly ifname: string;
  readonly ifindex: number;
  readonly stats = { rxPackets: 0, rxMalformed: 0, txPackets: 0, txErrors: 0 };
  private readonly sock: RawSocket;
  private closed = false;

  constructor(opts: AhSocketOptions) {
    super();
    this.ifname = opts.ifname;
    try {
      this.ifindex = addon().interfaceInfo(opts.ifname).ifindex;
    } catch (e) {
      throw toIoError('E_IO_NO_INTERFACE', `interface ${opts.ifname}`, e);
    }
    const peers = opts.unicastPeers ?? [];
    const group = peers.length > 0 ? undefined : (opts.mcastGroup ?? '224.0.0.18');
    try {
      this.sock = raw.createSocket({ protocol: IPPROTO_AH, addressFamily: raw.AddressFamily.IPv4, bufferSize: 65536 });
    } catch (e) {
      throw toIoError('E_IO_SOCKET', 'socket(IPv4, SOCK_RAW, 51)', e);
    }
    try {
      const nameBuf = Buffer.concat([Buffer.from(opts.ifname), Buffer.alloc(1)]);
      this.sock.setOption(SOL_SOCKET, SO_BINDTODEVICE, nameBuf, nameBuf.length);
      this.sock.setOption(IPPROTO_IP, IP_HDRINCL, 1);
      this.sock.setOption(IPPROTO_IP, IP_MULTICAST_ALL, 0);
      this.sock.setOption(IPPROTO_IP, IP_MULTICAST_LOOP, 0);
      const ifm = ipMreqn('0.0.0.0', opts.src && net.isIPv4(opts.src) ? opts.src : '0.0.0.0', this.ifindex);
      this.sock.setOption(IPPROTO_IP, IP_MULTICAST_IF, ifm, ifm.length);
      if (group) {
        const m = ipMreqn(group, '0.0.0.0', this.ifindex);
        this.sock.setOption(IPPROTO_IP, IP_ADD_MEMBERSHIP, m, m.length);
      }
    } catch (e) {
      this.sock.close();
      throw toIoError('E_IO_SOCKET', `AH socket options on ${opts.ifname}`, e);
    }
    this.sock.on('error', (e) => this.fail(toIoError('E_IO_RECV', `AH socket on ${this.ifname}`, e)));
    this.sock.on('message', (buf) => this.onMessage(buf));
  }

  /** Sends one complete IPv4 datagram (header + AH + VRRP) to `dst`. */
  send(datagram: Buffer, dst: string): Promise<void> {
    if (this.closed) return Promise.reject(new IoError('E_IO_CLOSED', `AH socket on ${this.ifname} is closed`));
    return rawSend(this.sock, datagram, dst, this.stats, `AH advert to ${dst} on ${this.ifname}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
  }

  private onMessage(buf: Buffer): void {
    const ip = parseIpv4(buf);
    if (!ip.ok || ip.protocol !== IPPROTO_AH) {
      this.stats.rxMalformed++;
      return;
    }
    this.stats.rxPackets++;
    const total = buf.readUInt16BE(2);
    try {
      this.emit('datagram', { src: ip.src, dst: ip.dst, ttl: ip.ttl, datagram: Buffer.from(buf.subarray(0, total)), ifname: this.ifname });
    } catch (e) {
      log().error({ err: e, ifname: this.ifname }, 'AH datagram listener threw');
    }
  }

  private fail(e: IoError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
    else log().error({ err: e, code: e.code, ifname: this.ifname }, e.message);
  }
}

export function openAhSocket(opts: AhSocketOptions): AhSocket {
  return new AhSocket(opts);
}

