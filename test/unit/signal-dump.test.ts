import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignalDispatcher, signalLogLine } from '../../src/daemon/signal-dispatch';
import { StatsBaseline, dumpPath, formatStats, formatJson, ctimeUs, STATS_KEYS, type DumpStats } from '../../src/daemon/dump-files';
import { dumpStats, formatVip } from '../../src/daemon/dump-view';

function recorder(): { calls: string[]; log: { debug(): void; info(o: object, m: string): void; error(o: object, m: string): void }; lines: string[] } {
  const calls: string[] = [];
  const lines: string[] = [];
  return { calls, lines, log: { debug: () => undefined, info: (_o, m) => lines.push(m), error: (_o, m) => lines.push(`ERR ${m}`) } };
}

function dispatcher(r: ReturnType<typeof recorder>, reload?: () => Promise<void>): SignalDispatcher {
  const act = (name: string) => (signal: string) => void r.calls.push(name === 'stop' ? `stop ${signal}` : name);
  return new SignalDispatcher({
    stop: act('stop'), reload: reload ?? act('reload'), data: act('data'), stats: act('stats'), 'stats-clear': act('stats-clear'), json: act('json'),
  }, r.log, 4242);
}

test('signals before readiness are held, once per kind, and run in arrival order when the daemon is ready', () => {
  const r = recorder();
  const d = dispatcher(r);
  for (const s of [10, 12, 1, 10, 12, 1, 36, 34]) d.onSignal(s);
  assert.deepEqual(r.calls, []);
  d.markReady();
  assert.deepEqual(r.calls, ['data', 'stats', 'reload', 'json']);
  assert.ok(r.lines.includes('Printing VRRP data for process(4242) on signal'));
});

test('SIGTERM before readiness: only the stop runs once ready; nothing runs after a stop', () => {
  const r = recorder();
  const d = dispatcher(r);
  d.onSignal(10);
  d.onSignal(15);
  d.onSignal(1);
  d.markReady();
  assert.deepEqual(r.calls, ['stop SIGTERM']);
  d.onSignal(10);
  d.onSignal(2);
  assert.deepEqual(r.calls, ['stop SIGTERM']);
});

test('a SIGHUP during a reload runs one more reload after it, never two at once', async () => {
  const r = recorder();
  let running = 0;
  let max = 0;
  let n = 0;
  const d = dispatcher(r, async () => {
    running++;
    max = Math.max(max, running);
    n++;
    await new Promise((res) => setTimeout(res, 20));
    running--;
  });
  d.markReady();
  d.onSignal(1);
  d.onSignal(1);
  d.onSignal(1);
  await new Promise((res) => setTimeout(res, 100));
  assert.equal(max, 1);
  assert.equal(n, 2);
});

test("keepalived's log lines for the dump signals", () => {
  assert.equal(signalLogLine('stats-clear', 7), 'Printing and clearing VRRP stats for process(7) on signal');
  assert.equal(signalLogLine('json', 7), 'Printing VRRP as json for process(7) on signal');
  assert.equal(signalLogLine('reload', 7), null);
});

const stats = (n: number): DumpStats => Object.fromEntries(STATS_KEYS.map((k) => [k, n])) as unknown as DumpStats;

test('STATS_CLEAR: dumps show the counters since the last clear; the raw counters are untouched', () => {
  const b = new StatsBaseline();
  const raw = stats(5);
  assert.equal(b.since('VI_1', raw).advertSent, 5);
  b.clear('VI_1', raw);
  assert.equal(b.since('VI_1', raw).advertSent, 0);
  assert.equal(b.since('VI_1', stats(8)).advertSent, 3);
  assert.equal(raw.advertSent, 5);
  assert.equal(b.since('VI_2', raw).advertSent, 5, 'per instance');
});

test('dump files go to $TMPDIR when it is absolute, else /tmp, unless the option names a file', () => {
  assert.equal(dumpPath('data', undefined, {}), '/tmp/keepalived.data');
  assert.equal(dumpPath('json', undefined, { TMPDIR: '/run/x' }), '/run/x/keepalived.json');
  assert.equal(dumpPath('stats', undefined, { TMPDIR: 'relative' }), '/tmp/keepalived.stats');
  assert.equal(dumpPath('stats', '/var/tmp/s', { TMPDIR: '/run/x' }), '/var/tmp/s');
});

test("keepalived.stats and keepalived.json keep keepalived's order and counter mapping", () => {
  const s = dumpStats(null, { 'bad-ttl': 2, 'too-short': 1, 'bad-length': 1, 'auth-mismatch': 3 });
  assert.equal(s.ipTtlErr, 2);
  assert.equal(s.packetLenErr, 2);
  assert.equal(s.authFailure, 3);
  const text = formatStats([{ name: 'VI_1', stats: s }]);
  assert.match(text, /^VRRP Instance: VI_1\n {2}Advertisements:\n {4}Received: 0\n {4}Sent: 0\n/);
  assert.match(text, / {2}Packet Errors:\n {4}Length: 2\n {4}TTL: 2\n/);
  assert.equal(formatStats([]), '');
  assert.equal(formatJson([]), '[]\n');
});

test("VIPs in keepalived's format_ipaddress text", () => {
  assert.equal(formatVip({ address: '192.0.2.100', prefixLen: 24 }, 'eth0', true), '192.0.2.100/24 dev eth0 scope global set');
  assert.equal(formatVip({ address: '2001:db8::100', prefixLen: 64, dev: 'eth1' }, 'eth0', false), '2001:db8::100/64 dev eth1 scope global');
  assert.match(ctimeUs(1796102782.663504), /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d\.663504 2026$/);
});
