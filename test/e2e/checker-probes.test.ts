/**
 * TCP_CHECK, SMTP_CHECK (through the `smtp-server` package), UDP_CHECK (an echo server), DNS_CHECK
 * (dnsmasq with a configuration of this test's own) and FILE_CHECK, each against real servers on
 * 127.0.0.1, with keepalived's failure modes: refused, dropped (a port whose SYNs are dropped, a UDP
 * server that stays silent), bad answers.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { tcpCheck, smtpCheck, udpCheck, dnsCheck } from '../../src/actors/checker/probes';
import { runLocalCheck } from '../../src/actors/checker/run';
import type { CheckSpec, Target } from '../../src/actors/checker/config';
import { closedPort, dnsmasq, droppingPort, tcpServer, udpServer, type Running } from '../helpers/checker-servers';

type Spec<T extends CheckSpec['type']> = Extract<CheckSpec, { type: T }>;
const running: Running[] = [];
after(async () => {
  for (const r of running) await r.close();
});
async function keep<T extends Running>(p: Promise<T>): Promise<T> {
  const r = await p;
  running.push(r);
  return r;
}
const target = (port: number, timeoutMs = 1000): Target => ({ host: '127.0.0.1', port, timeoutMs });

test('TCP_CHECK: a listener succeeds, a closed port is refused, a dropping port times out', async () => {
  const up = await keep(tcpServer());
  assert.deepEqual(await tcpCheck({ type: 'TCP_CHECK', target: target(up.port) }), { ok: true, reason: 'TCP connection success' });
  assert.deepEqual(await tcpCheck({ type: 'TCP_CHECK', target: target(await closedPort()) }), { ok: false, reason: 'TCP connection failed' });
  const drop = await keep(droppingPort());
  const t0 = Date.now();
  assert.deepEqual(await tcpCheck({ type: 'TCP_CHECK', target: target(drop.port, 800) }), { ok: false, reason: 'TCP connection timeout' });
  assert.ok(Date.now() - t0 >= 750, 'waited connect_timeout');
});

test('TCP_CHECK bindto / bind_port: the connection leaves from the configured source', async () => {
  let from = '';
  const srv = await keep(tcpServer((s) => {
    from = `${s.remoteAddress}:${s.remotePort}`;
    s.end();
  }));
  const bindPort = (await closedPort());
  const o = await tcpCheck({ type: 'TCP_CHECK', target: { ...target(srv.port), bindto: '127.0.0.2', bindPort } });
  assert.equal(o.ok, true);
  assert.equal(from, `127.0.0.2:${bindPort}`);
});

test('SMTP_CHECK: banner 220, HELO helo_name answered 250, QUIT (smtp-server)', async () => {
  const server = new SMTPServer({ disabledCommands: ['STARTTLS', 'AUTH'], logger: false });
  server.on('error', () => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  running.push({ port: 0, close: () => new Promise((r) => server.close(() => r())) });
  const port = (server.server.address() as { port: number }).port;
  const o = await smtpCheck({ type: 'SMTP_CHECK', target: target(port, 2000), helo: 'probe.example.test' });
  assert.deepEqual(o, { ok: true, reason: 'SMTP_CHECK success' });
});

test('SMTP_CHECK failures: bad banner, HELO refused, silent server, refused port', async () => {
  const banner = await keep(tcpServer((s) => s.write('554 no service here\r\n')));
  assert.deepEqual(await smtpCheck({ type: 'SMTP_CHECK', target: target(banner.port), helo: 'x' }), { ok: false, reason: `SMTP_CHECK Bad greeting banner from server 127.0.0.1:${banner.port}` });
  const helo = await keep(tcpServer((s) => {
    s.write('220-first line\r\n220 ready\r\n');
    s.on('data', () => s.write('550 not you\r\n'));
  }));
  assert.deepEqual(await smtpCheck({ type: 'SMTP_CHECK', target: target(helo.port), helo: 'x' }), { ok: false, reason: `SMTP_CHECK Bad HELO response from server 127.0.0.1:${helo.port}` });
  const silent = await keep(tcpServer(() => undefined));
  assert.deepEqual(await smtpCheck({ type: 'SMTP_CHECK', target: target(silent.port, 600), helo: 'x' }), { ok: false, reason: `SMTP_CHECK Read timeout from server 127.0.0.1:${silent.port}` });
  const closed = await closedPort();
  assert.deepEqual(await smtpCheck({ type: 'SMTP_CHECK', target: target(closed), helo: 'x' }), { ok: false, reason: `SMTP_CHECK Could not connect to server 127.0.0.1:${closed}` });
});

test('UDP_CHECK: payload echoed and require_reply matched; mismatch, refused and silent servers', async () => {
  const echo = await keep(udpServer((m) => m));
  const base = { type: 'UDP_CHECK' as const, minReplyLength: 0, maxReplyLength: 255 };
  assert.deepEqual(await udpCheck({ ...base, target: target(echo.port), payload: '0d0e0f', requireReply: true, reply: '0d0e' }), { ok: true, reason: 'UDP connection success' });
  assert.deepEqual(await udpCheck({ ...base, target: target(echo.port), payload: '0a0b', requireReply: true, reply: '0d0e' }), { ok: false, reason: 'UDP check reply data mismatch' });
  assert.deepEqual(await udpCheck({ ...base, target: target(echo.port), payload: '0d0e', requireReply: true, reply: '0d0e', minReplyLength: 3 }), { ok: false, reason: 'UDP check reply data mismatch' });
  const closed = await closedPort();
  assert.deepEqual(await udpCheck({ ...base, target: target(closed), payload: '01', requireReply: false }), { ok: false, reason: 'UDP connection failed' });
  const silent = await keep(udpServer(() => null));
  // keepalived: no answer is a success unless a reply is required
  assert.deepEqual(await udpCheck({ ...base, target: target(silent.port, 400), payload: '01', requireReply: false }), { ok: true, reason: 'UDP connection success' });
  assert.deepEqual(await udpCheck({ ...base, target: target(silent.port, 400), payload: '01', requireReply: true }), { ok: false, reason: 'UDP connection failed' });
});

test('DNS_CHECK against dnsmasq: an existing name answers, NXDOMAIN and a silent or closed port fail', async () => {
  const dns = await keep(dnsmasq(['local=/example.test/', 'address=/www.example.test/192.0.2.80', 'txt-record=txt.example.test,"keepalived"']));
  const spec = (name: string, qtype: string, port = dns.port, timeoutMs = 1000): Spec<'DNS_CHECK'> => ({ type: 'DNS_CHECK', target: target(port, timeoutMs), name, qtype });
  assert.deepEqual(await dnsCheck(spec('www.example.test', 'A')), { ok: true, reason: 'DNS_CHECK success' });
  assert.deepEqual(await dnsCheck(spec('txt.example.test', 'TXT')), { ok: true, reason: 'DNS_CHECK success' });
  assert.deepEqual(await dnsCheck(spec('nothing.example.test', 'A')), { ok: false, reason: 'read error occurred. (rcode = 3)' });
  const silent = await keep(udpServer(() => null));
  assert.deepEqual(await dnsCheck(spec('www.example.test', 'A', silent.port, 400)), { ok: false, reason: 'read timeout from socket' });
  // a server answering with another id is not an answer: keepalived keeps waiting until the timeout
  const wrongId = await keep(udpServer((m) => { const r = Buffer.from(m); r.writeUInt16BE((m.readUInt16BE(0) + 1) & 0xffff, 0); r[2] |= 0x80; return r; }));
  assert.deepEqual(await dnsCheck(spec('www.example.test', 'A', wrongId.port, 400)), { ok: false, reason: 'read timeout from socket' });
  assert.deepEqual(await dnsCheck(spec('www.example.test', 'A', await closedPort())), { ok: false, reason: 'failed to read socket; errno 111 (Connection refused)' });
});

test('FILE_CHECK: the tracked file\'s value, scaled by weight, or a fault with weight 0', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-chk-file-'));
  try {
    const file = path.join(dir, 'weight');
    const spec = (weight: number, reverse = false): Spec<'FILE_CHECK'> => ({ type: 'FILE_CHECK', file, name: 'w', weight, reverse });
    assert.deepEqual(await runLocalCheck(spec(0), 0), { ok: true, reason: 'tracked file leaving FAULT state', weightOffset: 0 }); // missing file reads 0
    fs.writeFileSync(file, '1\n');
    assert.deepEqual(await runLocalCheck(spec(0), 0), { ok: false, reason: 'tracked file now FAULT state' });
    fs.writeFileSync(file, '3\n');
    assert.deepEqual(await runLocalCheck(spec(-10, true), 0), { ok: true, reason: 'tracked file value', weightOffset: 30 });
    fs.writeFileSync(file, '99999999999\n');
    assert.equal(await runLocalCheck(spec(1), 0), null, 'an out-of-range number is ignored');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
