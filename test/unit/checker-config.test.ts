import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { parseConfig } from '../../src/config';
import { planChecker, statusRanges, type CheckerPlan } from '../../src/actors/checker/config';
import { miscVerdict, fileVerdict } from '../../src/actors/checker/verdicts';
import { buildRequest, extractStatus, extractContentLength, ResponseReader, judgeResponse } from '../../src/actors/checker/http';
import { dnsQuery, dnsReply } from '../../src/actors/checker/dns';
import { udpReplyMatches, parseHexStr } from '../../src/actors/checker/probes';
import { dumpBuffer, parseGenhashArgs } from '../../src/lvs-tools/genhash';
import { encodeEcho, decodeEchoReply, icmpOfIpv4 } from '../../src/protocol/icmp';
import { inetChecksum } from '../../src/protocol/checksum';

const FIXTURE = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'config', 'manpage', 'lvs-checkers.conf');

function plans(): CheckerPlan[] {
  const { config } = parseConfig(FIXTURE);
  const out: CheckerPlan[] = [];
  for (const vs of config.virtualServers) {
    for (const rs of vs.realServers) {
      rs.checkers.forEach((c, i) => {
        const r = planChecker(config, vs, rs, c, i);
        if (r.ok) out.push(r.plan);
      });
    }
  }
  return out;
}

test('plan: checker values win over the real server, which wins over the virtual server', () => {
  const http = plans().find((p) => p.spec.type === 'HTTP_GET')!;
  assert.equal(http.rs, '[198.51.100.1]:tcp:80');
  assert.equal(http.vs, '[192.0.2.10]:tcp:80');
  assert.deepEqual(http.machine, { style: 'http', retry: 1, delayLoopMs: 3000, delayBeforeRetryMs: 1000, warmupMs: 0, alpha: false, urls: 2, fastRecovery: true });
  assert.equal(http.spec.type === 'HTTP_GET' && http.spec.target.timeoutMs, 2000);
  assert.deepEqual(http.spec.type === 'HTTP_GET' && http.spec.target, { host: '198.51.100.1', port: 8080, bindto: '192.0.2.10', bindPort: 40000, fwmark: 1, timeoutMs: 2000 });
  // TCP_CHECK in the same real server inherits the real server's values
  const tcp = plans().find((p) => p.spec.type === 'TCP_CHECK')!;
  assert.deepEqual(tcp.machine, { style: 'tcp', retry: 2, delayLoopMs: 10000, delayBeforeRetryMs: 1000, warmupMs: 500, alpha: true, urls: 0, fastRecovery: false });
  assert.equal(tcp.spec.type === 'TCP_CHECK' && tcp.spec.target.timeoutMs, 3000);
});

test('plan: defaults per kind (SSL_GET delay_before_retry 3 s, DNS retry 3, MISC retry 0, SMTP port 25)', () => {
  const all = plans();
  const ssl = all.find((p) => p.spec.type === 'SSL_GET')!;
  // inherits virtual server: retry 3, delay_before_retry 2, connect_timeout 5, delay_loop 6, warmup 1
  assert.deepEqual([ssl.machine.retry, ssl.machine.delayBeforeRetryMs, ssl.machine.delayLoopMs, ssl.machine.warmupMs], [3, 2000, 6000, 1000]);
  assert.equal(ssl.spec.type === 'SSL_GET' && ssl.spec.sni, true);
  assert.equal(ssl.spec.type === 'SSL_GET' && ssl.spec.tls?.certificate, '/etc/ssl/certs/ssl-cert-snakeoil.pem');
  const dns = all.find((p) => p.spec.type === 'DNS_CHECK')!;
  assert.deepEqual([dns.machine.retry, dns.machine.delayBeforeRetryMs], [3, 60000]);
  assert.deepEqual(dns.spec.type === 'DNS_CHECK' && [dns.spec.qtype, dns.spec.name, dns.spec.target.port], ['A', 'example.test', 53]);
  const misc = all.find((p) => p.spec.type === 'MISC_CHECK')!;
  assert.equal(misc.machine.retry, 0);
  assert.deepEqual(misc.spec.type === 'MISC_CHECK' && [misc.spec.argv, misc.spec.dynamic, misc.spec.timeoutMs, misc.spec.user], [['/bin/sh', '-c', 'exit 0'], true, 5000, 'root']);
  const smtp = all.find((p) => p.spec.type === 'SMTP_CHECK')!;
  assert.deepEqual(smtp.spec.type === 'SMTP_CHECK' && [smtp.spec.helo, smtp.spec.target.port], ['probe.example.test', 25]);
  const udp = all.find((p) => p.spec.type === 'UDP_CHECK')!;
  assert.deepEqual(udp.spec.type === 'UDP_CHECK' && [udp.spec.payload, udp.spec.requireReply, udp.spec.reply, udp.spec.minReplyLength, udp.spec.maxReplyLength], ['0a0b0c', true, '0d0e', 2, 255]);
  const file = all.find((p) => p.spec.type === 'FILE_CHECK')!;
  assert.deepEqual(file.spec.type === 'FILE_CHECK' && [file.spec.file, file.spec.weight, file.spec.reverse, file.machine.alpha], ['/tmp/kts-lvs-track-file', -10, true, false]);
});

test('plan: BFD_CHECK is refused with E_CHECKER_UNSUPPORTED', () => {
  const { config } = parseConfig(FIXTURE);
  const vs = config.virtualServers[0];
  const rs = vs.realServers[1];
  const bfd = rs.checkers.findIndex((c) => c.type === 'BFD_CHECK');
  const r = planChecker(config, vs, rs, rs.checkers[bfd], bfd);
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.code, 'E_CHECKER_UNSUPPORTED');
});

test('status_code: ranges and single codes; the default is 200-299', () => {
  assert.deepEqual(statusRanges(['200-299', '301']), [[200, 299], [301, 301]]);
  assert.deepEqual(statusRanges(undefined), [[200, 299]]);
  assert.deepEqual(statusRanges(['99', '600', '300-200']), [[200, 299]]);
});

test('HTTP request: keepalived template, Host from the virtualhost or addr:port ([v6]:port)', () => {
  assert.equal(buildRequest('/x', '1.0', { host: '192.0.2.1', port: 80 }), 'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 192.0.2.1:80\r\n\r\n');
  assert.equal(buildRequest('/', '1.1', { host: '2001:db8::1', port: 8080 }), 'GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [2001:db8::1]:8080\r\n\r\n');
  assert.equal(buildRequest('/', '1.0c', { host: '192.0.2.1', port: 80 }, 'www.example.com'), 'GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n');
});

test('HTTP response: status, Content-Length caps the digest, header and body split across reads', () => {
  assert.equal(extractStatus(Buffer.from('HTTP/1.0 404 Not Found\r\n')), 404);
  assert.equal(extractStatus(Buffer.from('garbage\r\n')), 0);
  assert.equal(extractContentLength(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n')), 5);
  assert.equal(extractContentLength(Buffer.from('HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\n')), undefined);
  const r = new ResponseReader();
  r.push(Buffer.from('HTTP/1.0 200 OK\r\nContent-'));
  r.push(Buffer.from('Length: 5\r\n\r\nhel'));
  r.push(Buffer.from('lo+trailing'));
  const digest = r.digest();
  assert.equal(r.status, 200);
  assert.equal(r.bodyBytes, 5);
  assert.equal(digest.toString('hex'), '5d41402abc4b2a76b9719d911017c592'); // md5("hello")
  const url = { path: '/', status: [[200, 299]] as [number, number][], regexNoMatch: false, regexFlags: '' };
  assert.deepEqual(judgeResponse({ ...url, digest: '5d41402abc4b2a76b9719d911017c592' }, r, digest), { ok: true, reason: 'MD5 digest success' });
  assert.equal(judgeResponse({ ...url, digest: '00000000000000000000000000000000' }, r, digest).reason, 'MD5 digest error to');
  assert.equal(judgeResponse({ ...url, status: [[300, 399]] }, r, digest).reason, 'HTTP status code error to');
  assert.equal(judgeResponse({ ...url, regex: '^hel+o' , regexFlags: 'm' }, r, digest).ok, true);
  assert.equal(judgeResponse({ ...url, regex: 'HELLO' }, r, digest).reason, 'Regex match failed');
  assert.equal(judgeResponse({ ...url, regex: 'HELLO', regexFlags: 'i' }, r, digest).ok, true);
  assert.equal(judgeResponse({ ...url, regex: 'hello', regexNoMatch: true }, r, digest).reason, 'Regex match failed');
  assert.equal(judgeResponse(url, new ResponseReader(), digest).reason, 'Read, no data received from');
});

test('MISC_CHECK: exit 0 up, 1 down; misc_dynamic: exit 2..255 up with weight status-2, 0 restores the weight', () => {
  const r = (code: number | null, extra: object = {}) => ({ code, signal: null, timedOut: false, aborted: false, durationMs: 1, ...extra });
  assert.deepEqual(miscVerdict(r(0), false, 3), { ok: true, reason: 'succeeded' });
  assert.deepEqual(miscVerdict(r(1), false, 3), { ok: false, reason: 'failed (exited with status 1)' });
  assert.deepEqual(miscVerdict(r(7), false, 3), { ok: false, reason: 'failed (exited with status 7)' });
  assert.deepEqual(miscVerdict(r(7), true, 3), { ok: true, reason: 'succeeded', weightOffset: 2 }); // weight 5 = 3 + 2
  assert.deepEqual(miscVerdict(r(2), true, 3), { ok: true, reason: 'succeeded', weightOffset: -3 }); // weight 0
  assert.deepEqual(miscVerdict(r(0), true, 3), { ok: true, reason: 'succeeded', weightOffset: 0 });
  assert.deepEqual(miscVerdict(r(1), true, 3), { ok: false, reason: 'failed (exited with status 1)' });
  assert.equal(miscVerdict(r(null, { timedOut: true, signal: 'SIGTERM' }), true, 3).reason, 'timed out');
  assert.equal(miscVerdict(r(null, { signal: 'SIGKILL' }), false, 3).reason, 'failed (due to signal SIGKILL)');
  assert.equal(miscVerdict(r(null, { error: 'E_SCRIPT_NOT_FOUND', message: 'no such file' }), false, 3).ok, false);
});

test('FILE_CHECK: weight 0 is down on a non-zero value (zero with reverse); a weight scales the value', () => {
  assert.equal(fileVerdict(0, 0, false).ok, true);
  assert.equal(fileVerdict(1, 0, false).ok, false);
  assert.equal(fileVerdict(0, 0, true).ok, false);
  assert.equal(fileVerdict(1, 0, true).ok, true);
  assert.deepEqual(fileVerdict(3, -10, true), { ok: true, reason: 'tracked file value', weightOffset: 30 });
  assert.deepEqual(fileVerdict(3, 2, false), { ok: true, reason: 'tracked file value', weightOffset: 6 });
});

test('DNS_CHECK: query for name/type with RD; replies are matched on id, QR and RCODE', () => {
  const q = dnsQuery(0x1234, 'example.test', 'A');
  assert.equal(q.toString('hex'), '123401000001000000000000' + '076578616d706c6504746573740000010001');
  assert.equal(dnsQuery(1, '.', 'SOA').toString('hex'), '000101000001000000000000' + '0000060001');
  const reply = Buffer.from(q);
  reply.writeUInt16BE(0x8180, 2);
  assert.deepEqual(dnsReply(0x1234, reply), { kind: 'ok' });
  reply.writeUInt16BE(0x8183, 2);
  assert.deepEqual(dnsReply(0x1234, reply), { kind: 'rcode', rcode: 3 });
  assert.deepEqual(dnsReply(0x9999, reply), { kind: 'ignore' });
  assert.deepEqual(dnsReply(0x1234, q), { kind: 'ignore' }); // a query, not a reply
  assert.throws(() => dnsQuery(1, 'x', 'BOGUS'), /unknown type/);
});

test('UDP_CHECK require_reply: length bounds, then the shorter of reply and expectation must match', () => {
  const spec = { type: 'UDP_CHECK' as const, target: { host: '127.0.0.1', port: 1, timeoutMs: 1 }, requireReply: true, reply: '0d0e', minReplyLength: 2, maxReplyLength: 4 };
  assert.equal(udpReplyMatches(Buffer.from('0d0e0f', 'hex'), spec), true);
  assert.equal(udpReplyMatches(Buffer.from('0d0f', 'hex'), spec), false);
  assert.equal(udpReplyMatches(Buffer.from('0d', 'hex'), spec), false); // shorter than min_reply_length
  assert.equal(udpReplyMatches(Buffer.from('0d0e0f1011', 'hex'), spec), false); // longer than max
  assert.equal(udpReplyMatches(Buffer.from('0d3e', 'hex'), { ...spec, reply: '0d xe' }), true); // x: any nibble
  assert.equal(udpReplyMatches(Buffer.from('0d3f', 'hex'), { ...spec, reply: '0d xe' }), false);
});

test('hex strings as keepalived reads them: blanks between octets, a lone digit is an octet, x only where wildcards are allowed', () => {
  assert.deepEqual(parseHexStr('0a0b 0c d', false), { data: Buffer.from('0a0b0c0d', 'hex'), mask: Buffer.alloc(4) });
  assert.deepEqual(parseHexStr('1x', true), { data: Buffer.from('10', 'hex'), mask: Buffer.from('0f', 'hex') });
  assert.equal(parseHexStr('1x', false), null);
  assert.equal(parseHexStr('zz', true), null);
});

test('ICMP echo: request checksum is valid, replies decode with id and sequence', () => {
  const req = encodeEcho(4, { id: 0x4242, seq: 7 });
  assert.equal(req.length, 8 + 128);
  const reply = Buffer.from(req);
  reply[0] = 0;
  reply.writeUInt16BE(0, 2);
  reply.writeUInt16BE(inetChecksum(reply), 2);
  assert.deepEqual(decodeEchoReply(4, reply), { id: 0x4242, seq: 7 });
  assert.equal(decodeEchoReply(4, req), null); // a request is not a reply
  const ip = Buffer.concat([Buffer.from('4500000000000000400100000000000000000000', 'hex'), reply]);
  assert.deepEqual(decodeEchoReply(4, icmpOfIpv4(ip)!), { id: 0x4242, seq: 7 });
  const v6 = encodeEcho(6, { id: 1, seq: 2 });
  assert.equal(v6[0], 128);
  v6[0] = 129;
  assert.deepEqual(decodeEchoReply(6, v6), { id: 1, seq: 2 });
});

test('genhash: options as keepalived parses them; dump_buffer layout', () => {
  const err: string[] = [];
  assert.deepEqual(parseGenhashArgs(['-s', '192.0.2.1', '-p', '80', '-u', '/'], (s) => err.push(s)), { verbose: false, ssl: false, sni: false, protocol: '1.0', server: '192.0.2.1', port: 80, url: '/' });
  assert.equal(parseGenhashArgs(['-s', 'x', '-p', '80', '-u', '/'], (s) => err.push(s)), null);
  assert.equal(err.pop(), 'server should be an IP, not x\n');
  assert.equal(parseGenhashArgs(['-s', '192.0.2.1', '-p', '0', '-u', '/'], (s) => err.push(s)), null);
  assert.equal(err.pop(), "invalid port number '0'\n");
  assert.equal(parseGenhashArgs(['--server=192.0.2.1', '-p80', '-u', '/', '-SI', '-V', 'h', '-P', '1.1', '-t', '3'], (s) => err.push(s))?.timeoutMs, 3000);
  assert.equal(dumpBuffer(Buffer.from('hello world\n')), '0000  68 65 6c 6c 6f 20 77 6f - 72 6c 64 0a               hello world.    \n');
});
