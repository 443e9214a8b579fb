import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withLab, makeTempDir, removeTempDir, pidAlive as alive } from '../helpers/lab';
import { until } from '../helpers/bench-daemon';
import { repoRoot, distDirName, vrrpConfig } from '../helpers/keepalived';

test('without -n the daemon forks into the background like keepalived: the command returns, -p/-r pid files name the running daemon, SIGTERM to that pid stops it and removes them', { timeout: 60_000 }, async () => {
  const dir = makeTempDir('kts-fork-');
  let pid = 0;
  try {
    await withLab({ hosts: 1 }, async (lab) => {
      const h = lab.hosts[0]!;
      const conf = path.join(dir, 'keepalived.conf');
      fs.writeFileSync(conf, vrrpConfig({ state: 'MASTER', priority: 100, vips: ['192.0.2.100/24'] }));
      const pidFile = path.join(dir, 'keepalived.pid');
      const vrrpPid = path.join(dir, 'vrrp.pid');
      const t0 = Date.now();
      const r = await h.exec([process.execPath, path.join(repoRoot(), 'bin', 'keepalived-ts'), '-f', conf, '-p', pidFile, '-r', vrrpPid,
        '--control-socket', path.join(dir, 'control.sock')], { env: { KTS_DIST: distDirName() }, timeoutMs: 10_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Date.now() - t0 < 5000, 'the foreground command returned at once');
      pid = await until('pid file', () => {
        try {
          return Number(fs.readFileSync(pidFile, 'utf8').trim()) || undefined;
        } catch {
          return undefined;
        }
      }, 5000);
      assert.ok(alive(pid), 'the pid in the pid file is a running process');
      assert.equal(Number(fs.readFileSync(vrrpPid, 'utf8').trim()), pid, 'the -r pid file names the same daemon (one process)');
      await h.waitForAddress('192.0.2.100', { present: true, timeoutMs: 8000 });
      process.kill(pid, 'SIGTERM');
      await until('daemon exit', () => !alive(pid), 8000);
      assert.equal(fs.existsSync(pidFile), false, 'pid file removed');
      assert.equal(fs.existsSync(vrrpPid), false, 'vrrp pid file removed');
      assert.equal(await h.hasAddress('192.0.2.100'), false, 'VIP released on SIGTERM');
    });
  } finally {
    if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
    removeTempDir(dir);
  }
});
