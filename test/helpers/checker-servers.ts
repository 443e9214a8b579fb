/** Small real servers on 127.0.0.1 for the checker tests; each returns its port and a close(). */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface Running {
  port: number;
  close(): Promise<void>;
}

/** A TCP server: `onConn` gets each socket. */
export async function tcpServer(onConn: (s: net.Socket) => void = (s) => s.end()): Promise<Running> {
  const socks = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    socks.add(s);
    s.on('close', () => socks.delete(s));
    s.on('error', () => undefined);
    onConn(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    port: (srv.address() as net.AddressInfo).port,
    close: () => new Promise((r) => {
      for (const s of socks) s.destroy();
      srv.close(() => r());
    }),
  };
}

/** A port nothing listens on (connects are refused, datagrams draw ICMP port unreachable). */
export async function closedPort(): Promise<number> {
  const s = await tcpServer();
  await s.close();
  return s.port;
}

/**
 * A TCP port whose SYNs are dropped: a listener with backlog 0 that never accepts, its one queue slot
 * taken by a first connection (python3, since node always accepts). Connects then time out.
 */
export async function droppingPort(): Promise<Running> {
  const py = spawn('python3', ['-c', [
    'import socket, sys, time',
    "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(0)",
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    py.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    py.once('exit', (c) => reject(new Error(`python3 exited ${c}`)));
  });
  const filler = net.connect(port, '127.0.0.1');
  filler.on('error', () => undefined);
  await new Promise((r) => filler.once('connect', r));
  return {
    port,
    close: async () => {
      filler.destroy();
      py.stdin!.end();
      await new Promise((r) => (py.exitCode !== null ? r(null) : py.once('exit', r)));
    },
  };
}

/** A UDP server: `reply` maps a datagram to the answer (null: stay silent). */
export async function udpServer(reply: (m: Buffer) => Buffer | null): Promise<Running> {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, rinfo) => {
    const r = reply(m);
    if (r) s.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  return { port: s.address().port, close: () => new Promise((r) => s.close(() => r())) };
}

/** dnsmasq on 127.0.0.1 with a configuration of the caller's own (lines added to port/listen/no-resolv). */
export async function dnsmasq(lines: string[]): Promise<Running & { proc: ChildProcess }> {
  const probe = await udpServer(() => null);
  const port = probe.port;
  await probe.close();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-dnsmasq-'));
  const conf = path.join(dir, 'dnsmasq.conf');
  fs.writeFileSync(conf, [`port=${port}`, 'listen-address=127.0.0.1', 'bind-interfaces', 'no-resolv', 'no-hosts', 'no-poll', `pid-file=${path.join(dir, 'pid')}`, 'user=root', ...lines, ''].join('\n'));
  const proc = spawn('dnsmasq', ['--keep-in-foreground', `--conf-file=${conf}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // ready when it answers
  const deadline = Date.now() + 5000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`dnsmasq exited ${proc.exitCode}: ${err}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = dgram.createSocket('udp4');
      const t = setTimeout(() => { c.close(); resolve(false); }, 200);
      c.on('message', () => { clearTimeout(t); c.close(); resolve(true); });
      c.on('error', () => { clearTimeout(t); c.close(); resolve(false); });
      c.send(Buffer.from('abcd01000001000000000000000000060001', 'hex'), port, '127.0.0.1');
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`dnsmasq did not answer: ${err}`);
  }
  return {
    port, proc,
    close: async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
