/**
 * `keepalived-ts genhash` prints what keepalived 2.2.7's genhash (/usr/bin/genhash) prints for the same
 * page: run both against the same local HTTP(S) server and compare stdout, stderr and the exit code.
 * The server sends no Date header, so two fetches of a page are byte-identical.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { closedPort } from '../helpers/checker-servers';

const BIN = path.join(__dirname, '..', '..', '..', 'bin', 'keepalived-ts');
const BIG = Buffer.alloc(50_000, 'keepalived genhash compares bytes, not pages\n');
let dir = '';
let httpPort = 0;
let httpsPort = 0;
const servers: http.Server[] = [];

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  res.sendDate = false;
  const host = req.headers.host ?? '';
  if (req.url === '/big') res.writeHead(200, { 'Content-Length': String(BIG.length) }).end(BIG);
  else if (req.url === '/missing') res.writeHead(404, { 'Content-Type': 'text/plain' }).end('no such page\n');
  else if (req.url === '/empty') res.writeHead(204).end();
  else if (req.url === '/host') res.writeHead(200, { 'Content-Type': 'text/plain' }).end(`host=${host} version=${req.httpVersion} conn=${req.headers.connection ?? ''}\n`);
  else res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': '12' }).end('hello world\n');
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 15_000 }, (e, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }));
  });
}

async function same(args: string[], filter: (s: string) => string = (s) => s): Promise<string> {
  const ref = await run('genhash', args); // argv[0] 'genhash' as a user types it (the usage text names it)
  const ours = await run(BIN, ['genhash', ...args]);
  assert.equal(filter(ours.stdout), filter(ref.stdout), `stdout for ${args.join(' ')}`);
  assert.equal(ours.stderr, ref.stderr, `stderr for ${args.join(' ')}`);
  assert.equal(ours.code, ref.code, `exit code for ${args.join(' ')}`);
  return ref.stdout;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-genhash-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=www.example.com', '-days', '1',
    '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'pipe' });
  const listen = (s: http.Server) => new Promise<number>((r) => { servers.push(s); s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)); });
  httpPort = await listen(http.createServer(handler));
  httpsPort = await listen(https.createServer({ key: fs.readFileSync(path.join(dir, 'k.pem')), cert: fs.readFileSync(path.join(dir, 'c.pem')) }, handler));
});

after(() => {
  for (const s of servers) { s.close(); s.closeAllConnections(); }
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('genhash: the same digest as keepalived\'s genhash for a page, a large page, a 404 and an empty body', async () => {
  const out = await same(['-s', '127.0.0.1', '-p', String(httpPort), '-u', '/index.html']);
  assert.equal(out, '6f5902ac237024bdd0c176cb93063dc4\n'); // md5 of "hello world\n"
  await same(['-s', '127.0.0.1', '-p', String(httpPort), '-u', '/big']);
  await same(['-s', '127.0.0.1', '-p', String(httpPort), '-u', '/missing']);
  await same(['-s', '127.0.0.1', '-p', String(httpPort), '-u', '/empty']);
});

test('genhash: -V virtualhost and -P 1.0c / 1.1 send the same request as keepalived', async () => {
  for (const extra of [[], ['-V', 'www.example.com'], ['-P', '1.1'], ['-P', '1.0c', '-V', 'a.example.com']]) {
    await same(['-s', '127.0.0.1', '-p', String(httpPort), '-u', '/host', ...extra]);
  }
});

test('genhash -S: HTTPS with a self-signed certificate, with and without SNI', async () => {
  await same(['-S', '-s', '127.0.0.1', '-p', String(httpsPort), '-u', '/index.html']);
  await same(['-S', '-I', '-V', 'www.example.com', '-s', '127.0.0.1', '-p', String(httpsPort), '-u', '/host']);
});

test('genhash -v: the same hex dumps of header, body and digest (response time aside)', async () => {
  const noTime = (s: string) => s.replace(/= \d+ usecs/, '= N usecs');
  const out = await same(['-v', '-s', '127.0.0.1', '-p', String(httpPort), '-u', '/index.html'], noTime);
  assert.match(out, /HTML hash final resulting/);
});

test('genhash: refused connection, bad options and missing ones behave as keepalived\'s', async () => {
  const closed = await closedPort();
  assert.equal(await same(['-s', '127.0.0.1', '-p', String(closed), '-u', '/']), 'Connection failed\n');
  await same(['-s', 'not-an-ip', '-p', '80', '-u', '/']);
  await same(['-s', '127.0.0.1', '-p', '70000', '-u', '/']);
  await same(['-s', '127.0.0.1', '-u', '/']);
  await same(['-s', '127.0.0.1', '-p', '80', '-u', '/', 'extra']);
  await same(['-s', '127.0.0.1', '-p', '80', '-u', '/', '-P', '2.0']);
  await same(['-h']);
});
