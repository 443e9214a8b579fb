/**
 * HTTP_GET and SSL_GET (keepalived.conf(5) "HTTP_GET|SSL_GET": url path, digest, status_code,
 * virtualhost, regex, enable_sni; the SSL block's certificate/key) against real servers this test
 * starts on 127.0.0.1: node's http and https servers, with a self-signed certificate made by openssl.
 * Each failure mode keepalived distinguishes gets its row: refused, silent server (read timeout),
 * wrong status, wrong digest, regex (and regex_no_match), TLS failures.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { httpCheck } from '../../src/actors/checker/http';
import { statusRanges, type CheckSpec, type UrlCheck } from '../../src/actors/checker/config';
import { droppingPort } from '../helpers/checker-servers';

type HttpSpec = Extract<CheckSpec, { type: 'HTTP_GET' | 'SSL_GET' }>;

const BODY = 'service OK: all systems nominal\n';
const BODY_MD5 = createHash('md5').update(BODY).digest('hex');

let dir = '';
let files: { key: string; cert: string; clientKey: string; clientCert: string };
const servers: net.Server[] = [];
const seen: { host?: string; servername?: string; path?: string; ua?: string }[] = [];

function handler(req: http.IncomingMessage, res: http.ServerResponse): void {
  seen.push({ host: req.headers.host, path: req.url, ua: req.headers['user-agent'], servername: (req.socket as tls.TLSSocket).servername || undefined });
  if (req.url === '/missing') {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not here\n');
    return;
  }
  if (req.url === '/moved') {
    res.writeHead(301, { Location: '/', 'Content-Length': '0' });
    res.end();
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': String(Buffer.byteLength(BODY)) });
  res.end(BODY);
}

function listen(s: net.Server): Promise<number> {
  servers.push(s);
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port)));
}

let httpPort = 0;
let httpsPort = 0;
let mtlsPort = 0;
let silentPort = 0;
let closedPort = 0;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-chk-http-'));
  const mk = (name: string, cn: string) => execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-days', '1',
    '-keyout', path.join(dir, `${name}.key`), '-out', path.join(dir, `${name}.pem`),
  ], { stdio: 'pipe' });
  mk('server', 'www.example.com');
  mk('client', 'checker');
  files = { key: path.join(dir, 'server.key'), cert: path.join(dir, 'server.pem'), clientKey: path.join(dir, 'client.key'), clientCert: path.join(dir, 'client.pem') };
  const key = fs.readFileSync(files.key);
  const cert = fs.readFileSync(files.cert);
  httpPort = await listen(http.createServer(handler));
  httpsPort = await listen(https.createServer({ key, cert }, handler));
  // requires a client certificate signed by (here: equal to) the client's self-signed one
  mtlsPort = await listen(https.createServer({ key, cert, requestCert: true, rejectUnauthorized: true, ca: [fs.readFileSync(files.clientCert)] }, handler));
  // accepts and never answers: "dropped" after the connect
  silentPort = await listen(net.createServer(() => undefined));
  const probe = net.createServer();
  closedPort = await listen(probe);
  await new Promise((r) => probe.close(r)); // nothing listens there any more: refused
});

after(() => {
  for (const s of servers) s.close();
  for (const s of servers) (s as http.Server).closeAllConnections?.();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function url(over: Partial<UrlCheck> = {}): UrlCheck {
  return { path: '/', status: statusRanges(undefined), regexNoMatch: false, regexFlags: '', ...over };
}

function spec(type: 'HTTP_GET' | 'SSL_GET', port: number, urls: UrlCheck[], over: Partial<HttpSpec> = {}): HttpSpec {
  return { type, target: { host: '127.0.0.1', port, timeoutMs: 1500 }, urls, protocol: '1.0', sni: false, ...over } as HttpSpec;
}

test('HTTP_GET: a 200 page with the right digest succeeds; the request is keepalived\'s', async () => {
  seen.length = 0;
  const o = await httpCheck(spec('HTTP_GET', httpPort, [url({ path: '/health', digest: BODY_MD5 })]), 0);
  assert.deepEqual(o, { ok: true, reason: 'MD5 digest success' });
  assert.deepEqual(seen[0], { host: `127.0.0.1:${httpPort}`, path: '/health', ua: 'KeepAliveClient', servername: undefined });
});

test('HTTP_GET: wrong digest fails with "MD5 digest error to"', async () => {
  const o = await httpCheck(spec('HTTP_GET', httpPort, [url({ digest: '0123456789abcdef0123456789abcdef' })]), 0);
  assert.deepEqual(o, { ok: false, reason: 'MD5 digest error to' });
});

test('HTTP_GET status_code: 404 is outside the default 200-299; a range or a list accepts what it names', async () => {
  assert.deepEqual(await httpCheck(spec('HTTP_GET', httpPort, [url({ path: '/missing' })]), 0), { ok: false, reason: 'HTTP status code error to' });
  assert.equal((await httpCheck(spec('HTTP_GET', httpPort, [url({ path: '/missing', status: statusRanges(['400-499']) })]), 0)).ok, true);
  assert.equal((await httpCheck(spec('HTTP_GET', httpPort, [url({ path: '/moved', status: statusRanges(['200', '301']) })]), 0)).ok, true);
  assert.equal((await httpCheck(spec('HTTP_GET', httpPort, [url({ path: '/moved' })]), 0)).reason, 'HTTP status code error to');
});

test('HTTP_GET regex: a match succeeds, no match fails, regex_no_match inverts', async () => {
  assert.deepEqual(await httpCheck(spec('HTTP_GET', httpPort, [url({ regex: 'systems\\s+nominal' })]), 0), { ok: true, reason: 'Regex match success' });
  assert.deepEqual(await httpCheck(spec('HTTP_GET', httpPort, [url({ regex: 'degraded' })]), 0), { ok: false, reason: 'Regex match failed' });
  assert.equal((await httpCheck(spec('HTTP_GET', httpPort, [url({ regex: 'degraded', regexNoMatch: true })]), 0)).ok, true);
  assert.equal((await httpCheck(spec('HTTP_GET', httpPort, [url({ regex: 'nominal', regexNoMatch: true })]), 0)).ok, false);
});

test('HTTP_GET virtualhost: the url\'s virtualhost, else the checker\'s, is the Host header', async () => {
  seen.length = 0;
  await httpCheck(spec('HTTP_GET', httpPort, [url({ virtualhost: 'url.example.com' }), url()], { virtualhost: 'chk.example.com' }), 0);
  await httpCheck(spec('HTTP_GET', httpPort, [url({ virtualhost: 'url.example.com' }), url()], { virtualhost: 'chk.example.com' }), 1);
  assert.deepEqual(seen.map((s) => s.host), ['url.example.com', 'chk.example.com']);
});

test('HTTP_GET refused: "Connection failed"', async () => {
  assert.deepEqual(await httpCheck(spec('HTTP_GET', closedPort, [url()]), 0), { ok: false, reason: 'Connection failed' });
});

test('HTTP_GET silent server: "Timeout HTTP read" after connect_timeout', async () => {
  const t0 = Date.now();
  const o = await httpCheck(spec('HTTP_GET', silentPort, [url()]), 0);
  assert.deepEqual(o, { ok: false, reason: 'Timeout HTTP read' });
  const took = Date.now() - t0;
  assert.ok(took >= 1400 && took < 3000, `timed out after ${took} ms (connect_timeout 1.5 s)`);
});

test('HTTP_GET / SSL_GET dropped SYNs: "Timeout connecting" after connect_timeout', async () => {
  const drop = await droppingPort();
  try {
    for (const type of ['HTTP_GET', 'SSL_GET'] as const) {
      const t0 = Date.now();
      assert.deepEqual(await httpCheck(spec(type, drop.port, [url()]), 0), { ok: false, reason: 'Timeout connecting' });
      assert.ok(Date.now() - t0 >= 1400, `${type} waited connect_timeout`);
    }
  } finally {
    await drop.close();
  }
});

test('SSL_GET: a self-signed certificate is accepted (keepalived does not verify), digest over TLS', async () => {
  assert.deepEqual(await httpCheck(spec('SSL_GET', httpsPort, [url({ digest: BODY_MD5 })]), 0), { ok: true, reason: 'MD5 digest success' });
});

test('SSL_GET enable_sni: the virtualhost is sent as the TLS server name', async () => {
  seen.length = 0;
  await httpCheck(spec('SSL_GET', httpsPort, [url()], { sni: true, sniHost: 'www.example.com', virtualhost: 'www.example.com' }), 0);
  await httpCheck(spec('SSL_GET', httpsPort, [url()], { sni: false, virtualhost: 'www.example.com' }), 0);
  assert.deepEqual(seen.map((s) => s.servername), ['www.example.com', undefined]);
});

test('SSL_GET against a plain HTTP server: "SSL handshake/communication error connecting to"', async () => {
  assert.deepEqual(await httpCheck(spec('SSL_GET', httpPort, [url()]), 0), { ok: false, reason: 'SSL handshake/communication error connecting to' });
});

test('SSL_GET client certificate: refused without one, accepted with the SSL block\'s certificate and key', async () => {
  const without = await httpCheck(spec('SSL_GET', mtlsPort, [url()]), 0);
  assert.equal(without.ok, false);
  assert.match(without.reason, /^(SSL handshake\/communication error connecting to|SSL read error from|Read, no data received from)$/);
  const withCert = await httpCheck(spec('SSL_GET', mtlsPort, [url({ digest: BODY_MD5 })], { tls: { certificate: files.clientCert, key: files.clientKey } }), 0);
  assert.deepEqual(withCert, { ok: true, reason: 'MD5 digest success' });
});

test('SSL_GET refused and silent: "Connection failed" and a timeout', async () => {
  assert.deepEqual(await httpCheck(spec('SSL_GET', closedPort, [url()]), 0), { ok: false, reason: 'Connection failed' });
  const o = await httpCheck(spec('SSL_GET', silentPort, [url()]), 0);
  assert.equal(o.ok, false);
  assert.match(o.reason, /Timeout/);
});
