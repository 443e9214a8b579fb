import { getSystemErrorName } from 'node:util';
import { KtsError } from '../util/errors';

/** Error codes raised by src/io. Callers branch on `code`; `errno` is the system error name when known. */
const IO_CODES = [
  'E_IO_SOCKET', // a socket could not be opened or configured
  'E_IO_SEND', // a packet/frame could not be sent
  'E_IO_RECV', // the kernel reported an error on a receive socket
  'E_IO_CLOSED', // use after close()
  'E_IO_ARG', // a bad argument (address, interface name, frame)
  'E_IO_NO_INTERFACE', // the interface does not exist
  'E_IO_ADDON', // build/Release/kts_packet.node is missing or does not load
  'E_IO_SIGNAL', // a signal handler could not be installed
  'E_IO_NOTIFY', // a datagram to $NOTIFY_SOCKET could not be sent
  'E_NETLINK', // an rtnetlink request was rejected or the netlink socket failed
  'E_IPVS_UNAVAILABLE', // the kernel has no IPVS (generic netlink family "IPVS" absent)
] as const;
export type IoErrorCode = (typeof IO_CODES)[number];
const isIoCode = (c: unknown): c is IoErrorCode => (IO_CODES as readonly unknown[]).includes(c);

export class IoError extends KtsError {
  constructor(
    code: IoErrorCode,
    message: string,
    readonly errno?: string,
  ) {
    super(code, errno && !message.includes(errno) ? `${message}: ${errno}` : message);
    this.name = 'IoError';
  }
}

/**
 * The errno name of a failure: Node's `code` (ENOENT…), our addon's numeric `errno`, or the one
 * the `netlink` package gives, which only ever reaches us as the text "Request rejected: EEXIST".
 * raw-socket reports strerror text only: no errno then.
 */
function errnoOf(err: { code?: unknown; errno?: unknown } | undefined, msg: string): string | undefined {
  if (typeof err?.code === 'string' && /^E[A-Z0-9]+$/.test(err.code)) return err.code;
  if (typeof err?.errno === 'number' && err.errno !== 0) {
    try {
      return getSystemErrorName(-Math.abs(err.errno));
    } catch {
      return undefined;
    }
  }
  return /^Request rejected: (\S+)$/.exec(msg)?.[1];
}

/** Wraps anything thrown by raw-socket, netlink or our addon into an IoError with `code` (the addon's own code wins). */
export function toIoError(code: IoErrorCode, what: string, e: unknown): IoError {
  if (e instanceof IoError) return e;
  const err = e as { message?: unknown; code?: unknown; errno?: unknown } | undefined;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  return new IoError(isIoCode(err?.code) ? err.code : code, `${what}: ${msg}`, errnoOf(err, msg));
}

/**
 * errno names with which the kernel answers a request that finds its work done: adding what is
 * there (address, route, rule, link); deleting what is not (address EADDRNOTAVAIL, route ESRCH,
 * rule ENOENT, or its device is gone: ENODEV).
 */
const DONE_ERRNO = { add: ['EEXIST'], del: ['EADDRNOTAVAIL', 'ESRCH', 'ENOENT', 'ENODEV'] } as const;

/** True when `e` is an IoError whose errno says an add / del had nothing to do (idempotent callers ignore it). */
export function alreadyDone(op: 'add' | 'del', e: unknown): boolean {
  return e instanceof IoError && e.errno !== undefined && (DONE_ERRNO[op] as readonly string[]).includes(e.errno);
}
