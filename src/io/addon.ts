/**
 * Loader for our N-API addon (native/packet.cc → build/Release/kts_packet.node). The addon is
 * found by walking up from this file to the directory holding package.json, so it loads from any
 * dist dir. Built by `npm install` (root binding.gyp) or `node scripts/build-addon.js`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { IoError } from './errors';

export interface NativePacketSocket {
  readonly ifindex: number;
  readonly mac: string;
  send(frame: Buffer): number;
  close(): void;
}

export type Vrrp6Callback = (
  err: string | null,
  payload?: Buffer,
  src?: string,
  dst?: string,
  hopLimit?: number,
  ifindex?: number,
  truncated?: boolean,
) => void;

export interface NativeVrrp6Receiver {
  readonly ifindex: number;
  close(): void;
}

export interface NativeAddon {
  PacketSocket: new (ifname: string) => NativePacketSocket;
  Vrrp6Receiver: new (ifname: string, group: string | null, cb: Vrrp6Callback) => NativeVrrp6Receiver;
  interfaceInfo(ifname: string): { ifindex: number; mac: string };
  /** native/signals.cc: catch these signals (real-time ones too) and call onSignal on the main loop */
  installSignals(signums: number[], onSignal: (signo: number) => void): void;
  signalRange(): { min: number; max: number };
  /** one datagram to a unix socket path ('@' = abstract namespace); throws E_IO_NOTIFY */
  sdNotify(path: string, message: string): void;
}

let cached: NativeAddon | undefined;

export function projectRoot(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new IoError('E_IO_ADDON', `no package.json with binding.gyp above ${from}`);
    dir = up;
  }
}

export function addon(): NativeAddon {
  if (cached) return cached;
  const file = path.join(projectRoot(), 'build', 'Release', 'kts_packet.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    cached = require(file) as NativeAddon;
  } catch (e) {
    throw new IoError('E_IO_ADDON', `cannot load ${file} (run \`npm run build\`): ${(e as Error).message}`);
  }
  return cached;
}
