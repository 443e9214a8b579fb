/**
 * HTTP into a lab host's namespace from this process (and a browser it starts): a relay inside the
 * namespace listens on a Unix socket file and forwards to ADDR:PORT there; a TCP listener on this
 * process's loopback forwards to that socket. Nothing leaves the machine; both relays end with close()
 * (and the lab kills the namespace side with the lab).
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { join } from 'node:path';
import { makeTempDir, removeTempDir, type Host } from './lab';
import { startKeepalivedTs, vrrpConfig, type DaemonHandle } from './keepalived';
import type { Keep } from './e2e';

const RELAY = `
const net = require('node:net');
const [sock, host, port] = process.argv.slice(1);
net.createServer((c) => {
  const u = net.connect(Number(port), host);
  c.pipe(u); u.pipe(c);
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
}).listen(sock, () => console.log('relay ready'));
`;

export interface NsHttp {
  /** http://127.0.0.1:PORT — reaches ADDR:PORT inside the host */
  readonly url: string;
  close(): Promise<void>;
}

export async function httpInto(host: Host, addr: string, port: number): Promise<NsHttp> {
  const dir = makeTempDir('kts-relay-');
  const sock = join(dir, 'relay.sock');
  const proc = host.spawn([process.execPath, '-e', RELAY, sock, addr, String(port)], { label: `relay-${host.name}` });
  await proc.waitForOutput(/relay ready/, 10_000);
  const conns = new Set<net.Socket>();
  const server = net.createServer((c) => {
    const u = net.connect(sock);
    conns.add(c).add(u);
    c.pipe(u);
    u.pipe(c);
    c.on('error', () => u.destroy());
    u.on('error', () => c.destroy());
    c.on('close', () => conns.delete(c));
    u.on('close', () => conns.delete(u));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${a.port}`,
    close: async () => {
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      proc.kill('SIGKILL');
      await proc.wait().catch(() => undefined);
      removeTempDir(dir);
    },
  };
}

/** GET on a fresh connection (no keep-alive: each answer is a new request to the daemon). */
export function get(url: string, timeoutMs = 5000): Promise<{ status: number; body: string; t0: number; t1: number }> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, t0, t1: Date.now() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * The first log line matching `re` that comes after the lines already there when `before` was taken
 * (waitForLog would return an earlier one, e.g. a BACKUP's brief MASTER at start-up).
 */
export async function nextLogLine(logs: () => string[], before: number, re: RegExp, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hit = logs().slice(before).find((l) => re.test(l));
    if (hit) return hit;
    if (Date.now() > end) throw new Error(`no new log line matching ${re} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

/**
 * The usual observed pair: node1 MASTER prio 100, node2 BACKUP prio 90 for VIP, both with
 * --metrics-listen 127.0.0.1:9650, and an HTTP relay into each (close them; the daemons go with `keep`).
 */
export async function observedPair(h1: Host, h2: Host, keep: Keep, vip: string): Promise<{ a: DaemonHandle; b: DaemonHandle; ha: NsHttp; hb: NsHttp }> {
  const args = ['--metrics-listen', '127.0.0.1:9650'];
  const a = keep(startKeepalivedTs(h1, vrrpConfig({ state: 'MASTER', priority: 100, vips: [`${vip}/24`] }), { args }));
  const b = keep(startKeepalivedTs(h2, vrrpConfig({ state: 'BACKUP', priority: 90, vips: [`${vip}/24`] }), { args }));
  return { a, b, ha: await httpInto(h1, '127.0.0.1', 9650), hb: await httpInto(h2, '127.0.0.1', 9650) };
}
