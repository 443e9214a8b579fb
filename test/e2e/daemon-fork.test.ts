import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { withLab, makeTempDir, removeTempDir, pidAlive as alive } from '../helpers/lab';
import { until } from '../helpers/bench-daemon';
import { repoRoot, distDirName, vrrpConfig } from '../helpers/keepalived';

const BIN = (): string => path.join(repoRoot(), 'bin', 'keepalived-ts');

/** A syslog daemon's /dev/log stand-in: a Unix datagram socket (Node has none; python3 binds it), one line per datagram. */
async function syslogSink(sockPath: string): Promise<{ lines: string[]; close(): void; proc: ChildProcess }> {
  const py = 'import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(sys.argv[1])\nprint("bound",flush=True)\n'
    + 'while True:\n  print(s.recv(65536).decode().replace("\\n","\\\\n"),flush=True)\n';
  const proc = spawn('python3', ['-c', py, sockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  await until('syslog sink bound', () => lines[0] === 'bound', 5000);
  lines.shift();
  return { lines, proc, close: () => proc.kill('SIGKILL') };
}

test('without -n the command waits for the daemon: it returns 0 once the control socket listens, -p/-r name the running daemon, syslog gets keepalived\'s idents on the -S facility, SIGTERM stops it', { timeout: 60_000 }, async () => {
  const dir = makeTempDir('kts-fork-');
  let pid = 0;
  const sink = await syslogSink(path.join(dir, 'log.sock'));
  try {
    await withLab({ hosts: 1 }, async (lab) => {
      const h = lab.hosts[0]!;
      const conf = path.join(dir, 'keepalived.conf');
      fs.writeFileSync(conf, vrrpConfig({ state: 'MASTER', priority: 100, vips: ['192.0.2.100/24'] }));
      const pidFile = path.join(dir, 'keepalived.pid');
      const vrrpPid = path.join(dir, 'vrrp.pid');
      const control = path.join(dir, 'control.sock');
      const r = await h.exec([process.execPath, BIN(), '-S', '0', '-f', conf, '-p', pidFile, '-r', vrrpPid, '--control-socket', control],
        { env: { KTS_DIST: distDirName(), KTS_SYSLOG_SOCKET: path.join(dir, 'log.sock') }, timeoutMs: 15_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(fs.statSync(control).isSocket(), 'the control socket listens when the command returns (readiness)');
      pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
      assert.ok(pid > 0 && alive(pid), 'the pid in the pid file is a running process');
      assert.equal(Number(fs.readFileSync(vrrpPid, 'utf8').trim()), pid, 'the -r pid file names the same daemon (one process)');
      await h.waitForAddress('192.0.2.100', { present: true, timeoutMs: 8000 });
      // -S 0: every subsystem on local0 (16): info is <134>
      await until('MASTER line on syslog', () => sink.lines.find((l) => new RegExp(`^<134>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d Keepalived_vrrp\\[${pid}\\]: \\(VI_1\\) Entering MASTER STATE$`).test(l)), 8000);
      assert.ok(sink.lines.some((l) => new RegExp(`^<134>.* Keepalived\\[${pid}\\]: Starting keepalived-ts`).test(l)), sink.lines.join('\n'));
      process.kill(pid, 'SIGTERM');
      await until('daemon exit', () => !alive(pid), 8000);
      assert.equal(fs.existsSync(pidFile), false, 'pid file removed');
      assert.equal(fs.existsSync(vrrpPid), false, 'vrrp pid file removed');
      assert.equal(await h.hasAddress('192.0.2.100'), false, 'VIP released on SIGTERM');
      assert.ok(sink.lines.some((l) => l.endsWith(`Keepalived[${pid}]: Stopped Keepalived`)), 'the last line reached syslog');
    });
  } finally {
    sink.close();
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    removeTempDir(dir);
  }
});

test('without -n a configuration that cannot run exits non-zero, and the error reaches syslog (LOG_DAEMON|LOG_ERR) and the console with -l', { timeout: 30_000 }, async () => {
  const dir = makeTempDir('kts-fork-bad-');
  const sink = await syslogSink(path.join(dir, 'log.sock'));
  try {
    const conf = path.join(dir, 'missing.conf');
    const env = { ...process.env, KTS_DIST: distDirName(), KTS_SYSLOG_SOCKET: path.join(dir, 'log.sock') };
    const r = spawnSync(process.execPath, [BIN(), '-f', conf, '-p', path.join(dir, 'p.pid'), '--control-socket', path.join(dir, 'c.sock')], { env, encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 3, `exit status of the child: ${r.stderr}`);
    assert.equal(r.stderr, '', 'no -l: nothing on the console');
    await until('error on syslog', () => sink.lines.find((l) => /^<27>.* Keepalived\[\d+\]: Configuration .*missing\.conf cannot be used - exiting$/.test(l)), 5000);
    const l = spawnSync(process.execPath, [BIN(), '-l', '-G', '-f', conf, '-p', path.join(dir, 'p.pid')], { env, encoding: 'utf8', timeout: 15_000 });
    assert.equal(l.status, 3);
    assert.match(l.stderr, /"code":"E_CONFIG_FILE"/, 'the forked child logs to the inherited console with -l');
  } finally {
    sink.close();
    removeTempDir(dir);
  }
});

test('when stderr is the journal (JOURNAL_STREAM = its dev:ino) every line carries its <N> priority; another stderr and the -g file do not; --log-format picks JSON or keepalived\'s text', { timeout: 30_000 }, () => {
  const dir = makeTempDir('kts-journal-');
  try {
    const out = path.join(dir, 'stderr');
    const run = (journal: boolean, format: string): string[] => {
      const fd = fs.openSync(out, 'w');
      const st = fs.fstatSync(fd);
      const env = { ...process.env, KTS_DIST: distDirName(), JOURNAL_STREAM: journal ? `${st.dev}:${st.ino}` : `${st.dev}:${st.ino + 1}` };
      const r = spawnSync(process.execPath, [BIN(), '-n', '-l', '-G', '--log-format', format, '-g', path.join(dir, `file-${format}.log`), '-f', path.join(dir, 'missing.conf'), '-p', path.join(dir, 'p.pid')], { env, stdio: ['ignore', 'ignore', fd], timeout: 15_000 });
      fs.closeSync(fd);
      assert.equal(r.status, 3);
      return fs.readFileSync(out, 'utf8').trim().split('\n');
    };
    const json = run(true, 'json');
    assert.ok(json.some((l) => l.startsWith('<3>{') && l.includes('"code":"E_CONFIG"')), json.join('\n'));
    assert.ok(json.some((l) => l.startsWith('<6>{') && l.includes('Starting keepalived-ts')), json.join('\n'));
    const text = run(true, 'text');
    assert.ok(text.some((l) => /^<3>\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: Configuration .* cannot be used - exiting$/.test(l)), text.join('\n'));
    const file = fs.readFileSync(path.join(dir, 'file-text.log'), 'utf8').trim().split('\n');
    assert.ok(file.length >= 3 && file.every((l) => /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}: /.test(l)), `-g file: keepalived's text lines, no prefix: ${file.join('\n')}`);
    assert.ok(fs.readFileSync(path.join(dir, 'file-json.log'), 'utf8').trim().split('\n').every((l) => JSON.parse(l).msg !== undefined), '-g file: JSON lines');
    const plain = run(false, 'json');
    assert.ok(plain.every((l) => l.startsWith('{')), 'no prefix when stderr is not the journal');
  } finally {
    removeTempDir(dir);
  }
});

test('a worker thread\'s logger (actor hosts build their own) writes to the daemon\'s destinations: syslog with keepalived\'s ident, no console without -l', { timeout: 30_000 }, async () => {
  const dir = makeTempDir('kts-worker-log-');
  const sink = await syslogSink(path.join(dir, 'log.sock'));
  try {
    const logJs = path.join(repoRoot(), distDirName(), 'src', 'util', 'log.js');
    const script = `const { createLogger } = require(${JSON.stringify(logJs)});
createLogger({ daemon: true }).info('main thread line');
const { Worker } = require('node:worker_threads');
new Worker('require(' + JSON.stringify(${JSON.stringify(logJs)}) + ').createLogger({ name: "host:1" }).warn("(VI_1) worker thread line")', { eval: true });`;
    const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, KTS_SYSLOG_SOCKET: path.join(dir, 'log.sock') }, encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing on the console');
    await until('worker line on syslog', () => sink.lines.find((l) => /^<140>.* Keepalived_vrrp\[\d+\]: \(VI_1\) worker thread line$/.test(l)), 5000);
    assert.ok(sink.lines.some((l) => /^<142>.* Keepalived_vrrp\[\d+\]: main thread line$/.test(l)), sink.lines.join('\n'));
  } finally {
    sink.close();
    removeTempDir(dir);
  }
});
