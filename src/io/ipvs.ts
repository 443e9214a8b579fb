/**
 * IPVS over generic netlink (family "IPVS", resolved through nlctrl), main thread only, as every
 * netlink socket here (DESIGN.md). Requests are serialized on one socket: IPVS changes are few,
 * and a dump must finish before the next starts. A kernel without IPVS (no CONFIG_IP_VS, module
 * not loaded) is detected once and then answered with IoError E_IPVS_UNAVAILABLE without asking
 * the kernel again.
 */
import { createGenericNetlink, genl, FlagsGet, type GenericNetlinkSocket } from 'netlink';
import {
  IPVS_GENL_NAME, IPVS_GENL_VERSION, IpvsCmd, encodeService, encodeServiceKey, encodeDest, encodeDaemonStart,
  encodeDaemonStop, encodeTimeouts, decodeService, decodeDest, decodeDaemon, decodeTimeouts, decodeInfo, serviceKeyText,
  type IpvsService, type IpvsDest, type IpvsDaemon, type IpvsTimeouts, type ServiceKey, type IpvsDecoded,
} from '../protocol/ipvs';
import { log } from '../util/log';
import { IoError, toIoError } from './errors';
import { requestQueue } from './netlink';

export interface IpvsTableEntry {
  service: IpvsService;
  dests: IpvsDest[];
}

/** Counters of what this process asked the kernel (the idempotence tests read `changes`). */
export interface IpvsCounters {
  /** requests that modify the table, timeouts or sync daemons */
  changes: number;
  /** GET requests and dumps */
  reads: number;
  /** requests the kernel rejected */
  errors: number;
  /** nlctrl lookups of the IPVS family (one per process, whatever the answer) */
  probes: number;
}

let sock: GenericNetlinkSocket | undefined;
let familyId: number | undefined;
let unavailable: IoError | undefined;
const queue = requestQueue();
const counters: IpvsCounters = { changes: 0, reads: 0, errors: 0, probes: 0 };

export function ipvsCounters(): IpvsCounters {
  return { ...counters };
}

function socket(): GenericNetlinkSocket {
  if (!sock) {
    try {
      sock = createGenericNetlink();
    } catch (e) {
      throw toIoError('E_NETLINK', 'generic netlink socket', e);
    }
    sock.socket.on('error', (e: Error) => {
      log().error({ err: e, code: 'E_NETLINK' }, 'IPVS netlink socket error; reopening on next request');
      closeIpvs();
    });
  }
  return sock;
}

/** Closes the socket (shutdown, tests). The family id and an unavailability verdict are kept. */
export function closeIpvs(): void {
  try {
    sock?.socket.close();
  } catch {
    /* already closed */
  }
  sock = undefined;
}

async function resolveFamily(): Promise<number> {
  if (familyId !== undefined) return familyId;
  if (unavailable) throw unavailable;
  counters.probes++;
  try {
    const [fam] = await socket().ctrlRequest(genl.Commands.GET_FAMILY, { familyName: IPVS_GENL_NAME });
    if (fam?.familyId === undefined) throw new Error('no family id in the nlctrl reply');
    familyId = fam.familyId;
    return familyId;
  } catch (e) {
    const err = toIoError('E_NETLINK', 'resolve IPVS family', e);
    if (err.errno === 'ENOENT') {
      unavailable = new IoError('E_IPVS_UNAVAILABLE', 'IPVS: the kernel has no IPVS (generic netlink family "IPVS" not found)');
      throw unavailable;
    }
    throw err;
  }
}

/** True when the kernel has IPVS (asks once; later calls answer from the first verdict). */
export async function ipvsAvailable(): Promise<boolean> {
  try {
    await queue('resolve IPVS family', resolveFamily);
    return true;
  } catch (e) {
    if (e instanceof IoError && e.code === 'E_IPVS_UNAVAILABLE') return false;
    throw e;
  }
}

async function request(what: string, cmd: number, payload: Buffer, dump: boolean): Promise<Buffer[]> {
  return queue(`IPVS ${what}`, async () => {
    const family = await resolveFamily();
    if (dump || cmd === IpvsCmd.GET_CONFIG || cmd === IpvsCmd.GET_INFO || cmd === IpvsCmd.GET_SERVICE) counters.reads++;
    else counters.changes++;
    try {
      const [msgs] = await socket().request(family, cmd, IPVS_GENL_VERSION, payload, dump ? { flags: FlagsGet.DUMP } : {});
      return msgs.map((m) => m.data);
    } catch (e) {
      counters.errors++;
      throw e;
    }
  });
}

function decoded<T>(what: string, r: IpvsDecoded<T>): T {
  if (!r.ok) throw new IoError('E_NETLINK', `IPVS ${what}: undecodable reply (${r.reason})`);
  return r.value;
}

const svcText = (k: ServiceKey): string => serviceKeyText(k);
const destText = (k: ServiceKey, d: IpvsDest): string => `${svcText(k)} -> ${d.address.includes(':') ? `[${d.address}]` : d.address}:${d.port}`;

export async function listServices(): Promise<IpvsService[]> {
  const msgs = await request('list services', IpvsCmd.GET_SERVICE, Buffer.alloc(0), true);
  return msgs.map((m) => decoded('list services', decodeService(m)));
}

export async function listDests(svc: ServiceKey): Promise<IpvsDest[]> {
  const msgs = await request(`list destinations of ${svcText(svc)}`, IpvsCmd.GET_DEST, encodeServiceKey(svc), true);
  return msgs.map((m) => decoded('list destinations', decodeDest(m, svc.family)));
}

/** The whole kernel table: every service with its destinations. */
export async function readTable(): Promise<IpvsTableEntry[]> {
  const services = await listServices();
  const out: IpvsTableEntry[] = [];
  for (const service of services) out.push({ service, dests: await listDests(service) });
  return out;
}

export async function addService(s: IpvsService): Promise<void> {
  await request(`add service ${svcText(s)}`, IpvsCmd.NEW_SERVICE, encodeService(s), false);
}
export async function editService(s: IpvsService): Promise<void> {
  await request(`edit service ${svcText(s)}`, IpvsCmd.SET_SERVICE, encodeService(s), false);
}
export async function delService(s: IpvsService): Promise<void> {
  await request(`delete service ${svcText(s)}`, IpvsCmd.DEL_SERVICE, encodeService(s), false);
}
export async function addDest(s: IpvsService, d: IpvsDest): Promise<void> {
  await request(`add destination ${destText(s, d)}`, IpvsCmd.NEW_DEST, encodeDest(s, d), false);
}
export async function editDest(s: IpvsService, d: IpvsDest): Promise<void> {
  await request(`edit destination ${destText(s, d)}`, IpvsCmd.SET_DEST, encodeDest(s, d), false);
}
export async function delDest(s: IpvsService, d: IpvsDest): Promise<void> {
  await request(`delete destination ${destText(s, d)}`, IpvsCmd.DEL_DEST, encodeDest(s, d), false);
}

/** Removes every service and destination (ipvsadm -C; keepalived's lvs_flush). */
export async function flushIpvs(): Promise<void> {
  await request('flush', IpvsCmd.FLUSH, Buffer.alloc(0), false);
}

export async function getTimeouts(): Promise<IpvsTimeouts> {
  const [m] = await request('get timeouts', IpvsCmd.GET_CONFIG, Buffer.alloc(0), false);
  if (!m) throw new IoError('E_NETLINK', 'IPVS get timeouts: no reply');
  return decoded('get timeouts', decodeTimeouts(m));
}

/** Sets the TCP, TCP FIN and UDP timeouts (0 leaves one unchanged), as ipvsadm --set. */
export async function setTimeouts(t: IpvsTimeouts): Promise<void> {
  await request('set timeouts', IpvsCmd.SET_CONFIG, encodeTimeouts(t), false);
}

export async function ipvsInfo(): Promise<{ version: number; connTabSize: number }> {
  const [m] = await request('get info', IpvsCmd.GET_INFO, Buffer.alloc(0), false);
  if (!m) throw new IoError('E_NETLINK', 'IPVS get info: no reply');
  return decoded('get info', decodeInfo(m));
}

/** Starts the kernel's connection-sync daemon (lvs_sync_daemon) as master or backup. */
export async function startSyncDaemon(d: IpvsDaemon): Promise<void> {
  await request(`start ${d.state} sync daemon on ${d.mcastIfn}`, IpvsCmd.NEW_DAEMON, encodeDaemonStart(d), false);
}

export async function stopSyncDaemon(state: 'master' | 'backup', syncId = 0): Promise<void> {
  await request(`stop ${state} sync daemon`, IpvsCmd.DEL_DAEMON, encodeDaemonStop({ state, syncId }), false);
}

export async function listSyncDaemons(): Promise<IpvsDaemon[]> {
  const msgs = await request('list sync daemons', IpvsCmd.GET_DAEMON, Buffer.alloc(0), true);
  return msgs.map((m) => decoded('list sync daemons', decodeDaemon(m)));
}
