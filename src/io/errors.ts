import { KtsError } from '../util/errors';

/** Error codes raised by src/io. Callers branch on `code`; `errno` is the system error name when known. */
export type IoErrorCode =
  | 'E_IO_SOCKET' // a socket could not be opened or configured
  | 'E_IO_SEND' // a packet/frame could not be sent
  | 'E_IO_RECV' // the kernel reported an error on a receive socket
  | 'E_IO_CLOSED' // use after close()
  | 'E_IO_ARG' // a bad argument (address, interface name, frame)
  | 'E_IO_NO_INTERFACE' // the interface does not exist
  | 'E_IO_ADDON' // build/Release/kts_packet.node is missing or does not load
  | 'E_IO_SIGNAL' // a signal handler could not be installed
  | 'E_IO_NOTIFY' // a datagram to $NOTIFY_SOCKET could not be sent
  | 'E_NETLINK'; // an rtnetlink request was rejected or the netlink socket failed

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

/** Wraps anything thrown by raw-socket, netlink or our addon into an IoError with `code`. */
export function toIoError(code: IoErrorCode, what: string, e: unknown): IoError {
  if (e instanceof IoError) return e;
  const err = e as { message?: unknown; code?: unknown; errno?: unknown } | undefined;
  const msg = typeof err?.message === 'string' ? err.message : String(e);
  // netlink: "Request rejected: EEXIST"; addon: errno number + strerror text; raw-socket: strerror text.
  const named = /\b(E[A-Z0-9]{2,})\b/.exec(msg)?.[1];
  const addonCode = typeof err?.code === 'string' && err.code.startsWith('E_') ? (err.code as IoErrorCode) : undefined;
  return new IoError(addonCode ?? code, `${what}: ${msg}`, named);
}
