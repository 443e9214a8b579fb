/**
 * The checker actor under the real supervisor (worker-thread hosts, snapshots, watchdog), with the
 * main thread's script pool for MISC_CHECK (keepalived.conf(5) misc_path, misc_timeout, misc_dynamic)
 * and src/io/icmp.ts answering PING_CHECK's requests. A crashed or hung checker is restarted and
 * changes no weight by itself.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Supervisor } from '../../src/supervisor';
import { CHECKER } from '../../src/actors/kinds';
import { ScriptJobs } from '../../src/daemon/script-jobs';
import { IcmpPinger } from '../../src/io/icmp';
import type { CheckerPlan, CheckSpec } from '../../src/actors/checker/config';
import type { CheckerResult } from '../../src/actors/checker/actor';
import http from 'node:http';
import type net from 'node:net';
import { parseConfig } from '../../src/config';
import { planChecker } from '../../src/actors/checker/config';
import { tcpServer } from '../helpers/checker-servers';

const quiet = pino({ level: 'silent' });

function plan(spec: CheckSpec, over: Partial<CheckerPlan['machine']> = {}, rsWeight = 1): CheckerPlan {
  return {
    id: `test/${spec.type}`, rs: '[127.0.0.1]:tcp:0', vs: '[192.0.2.10]:tcp:80', rsWeight, spec,
    machine: { style: spec.type === 'TCP_CHECK' ? 'tcp' : 'generic', retry: 0, delayLoopMs: 200, delayBeforeRetryMs: 100, warmupMs: 0, alpha: true, urls: 0, fastRecovery: false, ...over },
  };
}

async function withSupervisor(fn: (s: Supervisor, results: CheckerResult[], jobs: ScriptJobs) => Promise<void>): Promise<void> {
  const s = new Supervisor({ log: quiet, hostLogLevel: 'silent', enableFaultInjection: true, placement: { checkerThreads: 1 } });
  const jobs = new ScriptJobs(quiet);
  const pinger = new IcmpPinger();
  const results: CheckerResult[] = [];
  s.register({ ...CHECKER, restartPolicy: { maxRestarts: 100, withinMs: 60_000, backoffMs: [0] } }, (id, m) => {
    if (m.type === 'checker.result') results.push(m);
    else if (m.type === 'ping') void pinger.ping(m.dst, m.timeoutMs).then((r) => s.send(CHECKER, id, { type: 'ping.done', ref: m.ref, ok: r.ok, ...(r.ok ? { rttMs: r.rttMs } : { reason: r.reason }) }));
    else jobs.handle(id, m, (done) => s.send(CHECKER, id, done));
  });
  try {
    await fn(s, results, jobs);
  } finally {
    await s.shutdown();
    await jobs.close();
    pinger.close();
  }
}

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('MISC_CHECK through the script pool: exit 0 up, exit 1 down, misc_dynamic exit N sets weight N-2, a timeout is down', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-chk-misc-'));
  const codeFile = path.join(dir, 'code');
  const script = path.join(dir, 'check.sh');
  fs.writeFileSync(script, `#!/bin/sh\nc=$(cat ${codeFile})\nif [ "$c" = sleep ]; then sleep 5; fi\nexit $c\n`, { mode: 0o755 });
  fs.writeFileSync(codeFile, '0');
  try {
    await withSupervisor(async (s, results) => {
      s.spawn('misc', CHECKER, { plan: plan({ type: 'MISC_CHECK', argv: [script], timeoutMs: 700, dynamic: true }, {}, 3) });
      const first = await until('up', () => results.find((r) => r.up));
      assert.equal(first.weight, undefined, 'exit 0 keeps the configured weight');
      fs.writeFileSync(codeFile, '7');
      const w = await until('weight 5', () => results.find((r) => r.weight === 5));
      assert.deepEqual([w.up, w.weightOffset], [true, 2]);
      fs.writeFileSync(codeFile, '2');
      await until('weight 0', () => results.find((r) => r.weight === 0 && r.up));
      fs.writeFileSync(codeFile, '0');
      const back = await until('weight back to 3', () => results.find((r) => r.weight === 3 && r.weightOffset === 0));
      assert.equal(back.up, true);
      fs.writeFileSync(codeFile, '1');
      const down = await until('down', () => results.find((r) => !r.up));
      assert.equal(down.reason, 'failed (exited with status 1)');
      fs.writeFileSync(codeFile, '0');
      await until('up again', () => results.slice(results.indexOf(down)).find((r) => r.up));
      fs.writeFileSync(codeFile, 'sleep');
      const to = await until('timed out', () => results.find((r) => !r.up && r.reason === 'timed out'), 8000);
      assert.equal(to.up, false);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a crashed or hung checker actor is restarted and changes no weight by itself', { timeout: 30_000 }, async () => {
  const srv = await tcpServer();
  try {
    await withSupervisor(async (s, results) => {
      s.spawn('tcp', CHECKER, { plan: plan({ type: 'TCP_CHECK', target: { host: '127.0.0.1', port: srv.port, timeoutMs: 500 } }) });
      await until('up', () => results.find((r) => r.up));
      const restarts: string[] = [];
      s.on('restart', (e) => restarts.push(e.reason));
      s.injectFault('tcp', 'crash');
      await until('restart after crash', () => restarts.length >= 1 || undefined);
      await new Promise((r) => setTimeout(r, 800));
      s.injectFault('tcp', 'hang', 3000);
      await until('restart after hang', () => restarts.length >= 2 || undefined, 8000);
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(results.length, 1, `no result besides the first: ${JSON.stringify(results)}`);
      const st = s.state().actors.find((a) => a.id === 'tcp')!;
      assert.equal(st.state, 'running');
      assert.ok(st.restarts >= 2);
      await srv.close();
      const down = await until('down after the server went away', () => results.find((r) => !r.up));
      assert.equal(down.reason, 'TCP connection failed');
    });
  } finally {
    await srv.close();
  }
});

test('PING_CHECK: the actor asks, the main thread\'s raw ICMP socket pings 127.0.0.1 and ::1', { timeout: 20_000 }, async () => {
  await withSupervisor(async (s, results) => {
    s.spawn('ping4', CHECKER, { plan: { ...plan({ type: 'PING_CHECK', target: { host: '127.0.0.1', port: 0, timeoutMs: 1000 } }), id: 'ping4' } });
    s.spawn('ping6', CHECKER, { plan: { ...plan({ type: 'PING_CHECK', target: { host: '::1', port: 0, timeoutMs: 1000 } }), id: 'ping6' } });
    const r4 = await until('ping4 up', () => results.find((r) => r.id === 'ping4'));
    const r6 = await until('ping6 up', () => results.find((r) => r.id === 'ping6'));
    assert.deepEqual([r4.up, r4.reason], [true, 'ICMP echo reply']);
    assert.deepEqual([r6.up, r6.reason], [true, 'ICMP echo reply']);
  });
});

test('keepalived.conf to result: an HTTP_GET with two urls is up once both answer, down when one fails past its retry', { timeout: 30_000 }, async () => {
  let failing = false;
  const srv = http.createServer((req, res) => {
    if (req.url === '/b' && failing) res.writeHead(503).end('busy\n');
    else res.writeHead(200).end(`page ${req.url}\n`);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const text = [
    'virtual_server 192.0.2.10 80 {',
    '  protocol TCP',
    '  delay_loop 0.2',
    '  alpha',
    '  real_server 127.0.0.1 ' + port + ' {',
    '    weight 3',
    '    HTTP_GET {',
    '      url {', '        path /a', '      }',
    '      url {', '        path /b', '        status_code 200-299', '      }',
    '      retry 1',
    '      delay_before_retry 0.1',
    '      connect_timeout 1',
    '      warmup 0',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
  const { config, diagnostics } = parseConfig('/virtual/keepalived.conf', { text, checkScripts: false, checkInterfaces: false });
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  const vs = config.virtualServers[0]!;
  const p = planChecker(config, vs, vs.realServers[0]!, vs.realServers[0]!.checkers[0]!, 0);
  assert.ok(p.ok);
  try {
    await withSupervisor(async (s, results) => {
      s.spawn(p.plan.id, CHECKER, { plan: p.plan });
      const up = await until('up', () => results.find((r) => r.up));
      assert.equal(up.rs, `[127.0.0.1]:tcp:${port}`);
      failing = true;
      const down = await until('down', () => results.find((r) => !r.up));
      assert.equal(down.reason, 'HTTP status code error to');
      failing = false;
      await until('up again', () => results.slice(results.indexOf(down)).find((r) => r.up));
    });
  } finally {
    srv.close();
    srv.closeAllConnections();
  }
});

test('a checker hung while its HTTP check is in flight resumes checking from the timer table (local checks report no per-run snapshot) and changes no weight', { timeout: 30_000 }, async () => {
  let status = 200;
  let requests = 0;
  // every answer takes 300 ms, so a check is in flight most of the time
  const srv = http.createServer((_req, res) => {
    requests++;
    setTimeout(() => res.writeHead(status).end('ok\n'), 300);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  try {
    await withSupervisor(async (s, results) => {
      const text = `virtual_server 192.0.2.10 80 {\n  protocol TCP\n  delay_loop 0.1\n  alpha\n  real_server 127.0.0.1 ${port} {\n    HTTP_GET {\n      url {\n        path /\n      }\n      retry 0\n      connect_timeout 2\n      warmup 0\n    }\n  }\n}\n`;
      const { config } = parseConfig('/virtual/keepalived.conf', { text, checkScripts: false, checkInterfaces: false });
      const vs = config.virtualServers[0]!;
      const p = planChecker(config, vs, vs.realServers[0]!, vs.realServers[0]!.checkers[0]!, 0);
      assert.ok(p.ok);
      s.spawn('http', CHECKER, { plan: p.plan });
      await until('up', () => results.find((r) => r.up));
      const restarts: string[] = [];
      s.on('restart', (e) => restarts.push(e.reason));
      const before = requests;
      await until('a check in flight', () => requests > before || undefined);
      s.injectFault('http', 'hang', 3000);
      await until('restart after hang', () => restarts.length >= 1 || undefined, 8000);
      const after = requests;
      await until('checks go on after the restart', () => requests >= after + 2 || undefined, 5000);
      assert.equal(results.length, 1, `no result besides the first: ${JSON.stringify(results)}`);
      status = 500;
      const down = await until('down', () => results.find((r) => !r.up));
      assert.equal(down.up, false);
    });
  } finally {
    srv.close();
    srv.closeAllConnections();
  }
});
