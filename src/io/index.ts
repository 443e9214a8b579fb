/**
 * src/io — the only code that touches the kernel (raw sockets, AF_PACKET, rtnetlink). Main thread
 * only: raw-socket is not context-aware, and netlink sockets must not die with a worker.
 */
export { IoError, alreadyDone, type IoErrorCode } from './errors';
export {
  openVrrpSocket,
  VrrpSocket,
  VRRP_MCAST_V4,
  VRRP_MCAST_V6,
  type ReceivedAdvert,
  type VrrpSocketOptions,
  type VrrpSocketStats,
  openAhSocket,
  type AhSocket,
  type AhSocketOptions,
  type ReceivedAhDatagram,
} from './vrrp-socket';
export { openPacketSocket, interfaceInfo, type PacketSocket } from './packet-socket';
export { addAddress, removeAddress, listAddresses, type VipSpec, type AddressInfo, type ScopeName } from './netlink-addr';
export {
  getLink,
  listLinks,
  watchLinks,
  watchAddresses,
  createMacvlan,
  deleteLink,
  setLinkUp,
  type LinkState,
  type LinkInfo,
  type LinkEvent,
  type AddressEvent,
  type MacvlanMode,
  type Watcher,
} from './netlink-link';
export {
  addRoute,
  removeRoute,
  addRule,
  removeRule,
  tableNumber,
  RTPROT_KEEPALIVED,
  type RouteSpec,
  type RouteType,
  type RuleSpec,
} from './netlink-route';
export { getIfSysctl, setIfSysctl } from './sysctl';
export { closeNetlink } from './netlink';
export { catchSignals, caughtSignals, realtimeRange, setSignalHandler, type SignalHandler } from './signals';
export { SdNotifier, type SdNotifierOptions } from './sd-notify';
export {
  NftFirewall,
  nftSettings,
  nftVips,
  blocksVips,
  type NftSettings,
  type NftVip,
} from './nftables';
export {
  ipvsAvailable,
  ipvsCounters,
  closeIpvs,
  listServices,
  listDests,
  readTable,
  addService,
  editService,
  delService,
  addDest,
  editDest,
  delDest,
  flushIpvs,
  getTimeouts,
  setTimeouts,
  ipvsInfo,
  startSyncDaemon,
  stopSyncDaemon,
  listSyncDaemons,
  type IpvsTableEntry,
  type IpvsCounters,
} from './ipvs';
