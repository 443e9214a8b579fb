import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { Supervisor, ControlServer, dumpState, request } from '../../src/supervisor';
import { AS_NOBODY } from '../helpers/e2e';
import { counterKind } from '../helpers/fixture-kinds';

const INDEX = path.join(__dirname, '..', '..', 'src', 'supervisor', 'index.js');
const quiet = pino({ level: 'silent' });

async function withServer(faults: boolean, fn: (sock: string, sup: Supervisor) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-ctl-'));
  fs.chmodSync(dir, 0o755); // only the socket's own mode may stop other users
  const sock = path.join(dir, 'control.sock');
  const sup = new Supervisor({ log: quiet, hostLogLevel: 'silent', enableFaultInjection: faults });
  const srv = new ControlServer(sock, { supervisor: sup, extraState: () => ({ vrrp: [{ name: 'VI_1', state: 'MASTER' }] }), reload: () => ({ reloaded: true }) });
  try {
    const counter = counterKind('vrrp');
    sup.register(counter, () => undefined);
    const up = new Promise<void>((r) => sup.once('started', () => r()));
    sup.spawn('VI_1', counter, {});
    await up;
    await srv.listen();
    await fn(sock, sup);
  } finally {
    await srv.close();
    await sup.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function capture(opts: Parameters<typeof dumpState>[0]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d) => (o += d));
  err.on('data', (d) => (e += d));
  const code = await dumpState({ ...opts, out, err });
  return { code, out: o, err: e };
}

test('control socket: dump-state returns the documented JSON (actors, hosts, stats, daemon extras)', async () => {
  await withServer(false, async (sock) => {
    const st = fs.statSync(sock);
    assert.equal(st.mode & 0o777, 0o600, 'socket file is 0600');
    const r = await capture({ socket: sock, format: 'json' });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.ok, true);
    assert.equal(j.cmd, 'dump-state');
    assert.equal(j.data.version, 1);
    assert.equal(j.data.pid, process.pid);
    const a = j.data.actors[0];
    assert.deepEqual(Object.keys(a).sort(), ['host', 'id', 'kind', 'lastError', 'mailbox', 'pool', 'restarts', 'snapshot', 'state', 'timers', 'uptimeMs']);
    assert.equal(a.id, 'VI_1');
    assert.equal(a.state, 'running');
    assert.equal(j.data.hosts.length, 1);
    assert.equal(typeof j.data.stats.restarts, 'number');
    assert.deepEqual(j.data.vrrp, [{ name: 'VI_1', state: 'MASTER' }]);
    const t = await capture({ socket: sock, format: 'text' });
    assert.equal(t.code, 0);
    assert.match(t.out, /^ACTORS\nID\s+KIND\s+HOST\s+STATE\s+RESTARTS/);
    assert.match(t.out, /VI_1\s+counter\s+vrrp-0\s+RUNNING\s+0/);
    assert.match(t.out, /\nVRRP\n/);
    const s = await capture({ socket: sock, format: 'json', cmd: 'stats' });
    assert.equal(JSON.parse(s.out).data.actors, 1);
    const rl = await request(sock, { cmd: 'reload' });
    assert.deepEqual(rl, { ok: true, cmd: 'reload', data: { reloaded: true } });
    assert.deepEqual(await request(sock, { cmd: 'self-destruct' }), { ok: false, cmd: 'self-destruct', error: { code: 'E_CONTROL_UNKNOWN_CMD', message: 'unknown command "self-destruct"' } });
    const bad = await request(sock, 'just a string');
    assert.equal(bad.ok === false && bad.error.code, 'E_CONTROL_BAD_REQUEST');
  });
});

test('control socket: fault-inject is refused with E_FAULT_INJECTION_DISABLED unless enabled', async () => {
  await withServer(false, async (sock, sup) => {
    const r = await capture({ socket: sock, format: 'json', cmd: '{"cmd":"fault-inject","actor":"VI_1","fault":"crash"}' });
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.out).error.code, 'E_FAULT_INJECTION_DISABLED');
    assert.equal(sup.state().actors[0]!.restarts, 0);
  });
  await withServer(true, async (sock, sup) => {
    const back = new Promise<void>((r) => sup.once('started', () => r()));
    const r = await request(sock, { cmd: 'fault-inject', actor: 'VI_1', fault: 'crash' });
    assert.equal(r.ok, true);
    await back;
    assert.equal(sup.state().actors[0]!.restarts, 1);
  });
});

test('control socket: a non-root user is refused by the kernel (socket mode 0600)', async () => {
  assert.equal(process.getuid!(), 0, 'this test must run as root to switch to nobody');
  await withServer(false, async (sock) => {
    // async: the server in this process must keep answering while the client runs
    const asNobody = (): Promise<{ status: number | null; stdout: string; stderr: string }> => new Promise((resolve) => {
      execFile(AS_NOBODY[0]!, [...AS_NOBODY.slice(1), process.execPath, '-e',
        `require(${JSON.stringify(INDEX)}).dumpState({ socket: ${JSON.stringify(sock)}, format: 'json' }).then((c) => process.exit(c))`],
      { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }));
    });
    const r = await asNobody();
    assert.equal(r.status, 2, `stdout=${r.stdout} stderr=${r.stderr}`);
    assert.match(String(r.stderr), /E_CONTROL_DENIED: .*permission denied/);
    // the same user gets an answer once the mode allows it: the refusal is the socket's mode, nothing else
    fs.chmodSync(sock, 0o666);
    const ok = await asNobody();
    assert.equal(ok.status, 0, String(ok.stderr));
    assert.equal(JSON.parse(String(ok.stdout)).ok, true);
  });
});

test('control socket: a stale socket file is removed at start, a live one is refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-ctl-'));
  const sock = path.join(dir, 'c.sock');
  const sup = new Supervisor({ log: quiet, hostLogLevel: 'silent' });
  try {
    const k = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    assert.equal(k.signal, 'SIGKILL');
    assert.ok(fs.statSync(sock).isSocket(), 'stale socket left behind');
    const a = new ControlServer(sock, { supervisor: sup });
    await a.listen();
    const b = new ControlServer(sock, { supervisor: sup });
    await assert.rejects(b.listen(), { code: 'E_CONTROL_IN_USE' });
    assert.equal((await request(sock, { cmd: 'stats' })).ok, true, 'the first server still answers');
    await a.close();
    const none = await capture({ socket: sock, format: 'json' });
    assert.equal(none.code, 2);
    assert.match(none.err, /E_CONTROL_NO_DAEMON/);
  } finally {
    await sup.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
