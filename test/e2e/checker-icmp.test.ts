/**
 * PING_CHECK's io side (src/io/icmp.ts) between two lab namespaces: echo requests over raw ICMP and
 * ICMPv6 sockets get their replies (several pings in flight at once are told apart by sequence); a
 * host that ignores echo requests (net.ipv4.icmp_echo_ignore_all) and an address nobody answers for
 * time out after the timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { withLab } from '../helpers/lab';
import type { PingResult } from '../../src/io/icmp';

const CHILD = path.join(__dirname, '..', 'helpers', 'icmp-child.js');

test('ICMP echo: replies from a live host (IPv4 and IPv6), timeouts from a silent one', { timeout: 60_000 }, async (t) => {
  await withLab({ hosts: 2, signal: t.signal, timeoutMs: 55_000 }, async (lab) => {
    const [h1, h2] = lab.hosts as [typeof lab.hosts[0], typeof lab.hosts[0]];
    const ping = async (dsts: string[], timeoutMs = 800): Promise<PingResult[]> => {
      const r = await h1.exec([process.execPath, CHILD, JSON.stringify({ dsts, timeoutMs })], { timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { results: PingResult[] }).results;
    };
    const ok = await ping([h2.ip4, h2.ip6, h2.ip4, '127.0.0.1']);
    assert.deepEqual(ok.map((r) => r.ok), [true, true, true, true], JSON.stringify(ok));

    await h2.exec(['sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_all=1'], { check: true });
    const t0 = Date.now();
    const dropped = await ping([h2.ip4, '192.0.2.99']);
    assert.deepEqual(dropped, [{ ok: false, reason: 'timeout' }, { ok: false, reason: 'timeout' }]);
    assert.ok(Date.now() - t0 >= 800, 'waited the timeout');
    // the IPv6 side still answers: the silence is the host's choice, not the socket's
    assert.deepEqual((await ping([h2.ip6])).map((r) => r.ok), [true]);
  });
});
