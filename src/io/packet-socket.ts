/**
 * Whole-frame sending on one interface (AF_PACKET, SOCK_RAW) through our addon: gratuitous ARP
 * and unsolicited neighbour advertisements, as keepalived sends both (vrrp_arp.c / vrrp_ndisc.c
 * use PF_PACKET). Frames are built by src/protocol; this file only puts them on the wire.
 */
import { addon, type NativePacketSocket } from './addon';
import { IoError, toIoError } from './errors';

export interface PacketSocket {
  readonly ifname: string;
  readonly ifindex: number;
  /** the interface's MAC at open time, "aa:bb:cc:dd:ee:ff" */
  readonly mac: string;
  readonly stats: { txFrames: number; txErrors: number };
  /** Sends one complete Ethernet frame (dst MAC, src MAC, ethertype, payload). Throws IoError E_IO_SEND. */
  send(frame: Buffer): void;
  close(): void;
}

export function openPacketSocket(ifname: string): PacketSocket {
  let s: NativePacketSocket;
  try {
    s = new (addon().PacketSocket)(ifname);
  } catch (e) {
    throw toIoError('E_IO_SOCKET', `AF_PACKET socket on ${ifname}`, e);
  }
  let closed = false;
  const stats = { txFrames: 0, txErrors: 0 };
  return {
    ifname,
    ifindex: s.ifindex,
    mac: s.mac,
    stats,
    send(frame: Buffer): void {
      if (closed) throw new IoError('E_IO_CLOSED', `packet socket on ${ifname} is closed`);
      try {
        s.send(frame);
        stats.txFrames++;
      } catch (e) {
        stats.txErrors++;
        throw toIoError('E_IO_SEND', `frame on ${ifname}`, e);
      }
    },
    close(): void {
      if (!closed) s.close();
      closed = true;
    },
  };
}

/** ifindex and MAC of an interface, synchronously (SIOCGIFINDEX / SIOCGIFHWADDR). */
export function interfaceInfo(ifname: string): { ifindex: number; mac: string } {
  try {
    return addon().interfaceInfo(ifname);
  } catch (e) {
    throw toIoError('E_IO_NO_INTERFACE', `interface ${ifname}`, e);
  }
}
