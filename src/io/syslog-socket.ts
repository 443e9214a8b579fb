/**
 * The local syslog daemon's datagram socket (/dev/log) through our addon (native/syslog.cc): Node
 * has no Unix datagram sockets. One connected socket; a send that finds syslogd gone (restarted,
 * socket replaced) reopens once and retries; a full socket buffer drops the line (syslog(3) does
 * the same with its non-blocking socket) and counts it.
 */
import path from 'node:path';
import { projectRoot } from './addon';
import { IoError } from './errors';

interface SyslogAddon {
  open(path: string): number;
  send(fd: number, data: Buffer): number;
  close(fd: number): void;
}

let cached: SyslogAddon | undefined;

function syslogAddon(): SyslogAddon {
  if (cached) return cached;
  const file = path.join(projectRoot(), 'build', 'Release', 'kts_syslog.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require(file) as SyslogAddon;
  } catch (e) {
    throw new IoError('E_IO_ADDON', `cannot load ${file} (run \`npm run build\`): ${(e as Error).message}`);
  }
  return cached;
}

const ECONNREFUSED = 111;
const ENOTCONN = 107;
const ENOENT = 2;

export class SyslogSocket {
  private fd = -1;
  /** lines the socket could not take */
  dropped = 0;

  constructor(readonly path = '/dev/log') {}

  /** Sends one datagram; false when it was dropped. Never throws (a logger must not). */
  send(line: Buffer): boolean {
    for (let attempt = 0; attempt < 2; attempt++) {
      if (this.fd < 0) {
        try {
          this.fd = syslogAddon().open(this.path);
        } catch {
          break;
        }
      }
      const err = syslogAddon().send(this.fd, line);
      if (err === 0) return true;
      if (err !== ECONNREFUSED && err !== ENOTCONN && err !== ENOENT) break;
      this.close();
    }
    this.dropped++;
    return false;
  }

  close(): void {
    if (this.fd >= 0) syslogAddon().close(this.fd);
    this.fd = -1;
  }
}
