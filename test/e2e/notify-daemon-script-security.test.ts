/**
 * enable_script_security (keepalived.conf(5)): a script run as root from a directory anyone can
 * write to is insecure. `-t` reports it like keepalived 2.2.7 and exits 5; the running daemon
 * disables it: the vrrp_script is not tracked and the notify script is never run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withLab } from '../helpers/lab';
import { KEEPALIVED_BIN, repoRoot, distDirName, startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { withDaemons } from '../helpers/e2e';

function insecureSetup(): { dir: string; chk: string; notify: string; marker: string; conf: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-sec-'));
  const ww = path.join(dir, 'world-writable');
  fs.mkdirSync(ww);
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(ww, 0o777); // not sticky: anyone may replace the scripts
  const chk = path.join(ww, 'chk.sh');
  const marker = path.join(dir, 'notify-ran');
  const notify = path.join(ww, 'notify.sh');
  fs.writeFileSync(chk, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  fs.writeFileSync(notify, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
  const conf = [
    vrrpConfig({
      state: 'MASTER', priority: 100, vips: ['192.0.2.100/24'], extraGlobal: ['script_user root', 'enable_script_security'],
      extraInstance: ['track_script {', '  chk', '}', `notify_master "${notify}"`],
    }),
    'vrrp_script chk {', `  script "${chk}"`, '  interval 1', '}', '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'keepalived.conf'), conf);
  return { dir, chk, notify, marker, conf };
}

test('enable_script_security: -t on a script in a world-writable directory prints keepalived\'s messages and exits 5, like keepalived', () => {
  const s = insecureSetup();
  try {
    const file = path.join(s.dir, 'keepalived.conf');
    const ka = spawnSync(KEEPALIVED_BIN, ['-t', '-f', file], { encoding: 'utf8' });
    assert.equal(ka.status, 5, 'keepalived 2.2.7 exits 5');
    assert.match(ka.stderr, /Disabling track script chk due to insecure/);
    const ours = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'keepalived-ts'), '-t', '-f', file], {
      encoding: 'utf8', env: { ...process.env, KTS_DIST: distDirName() },
    });
    assert.equal(ours.status, 5, `keepalived-ts -t exit status\n${ours.stdout}${ours.stderr}`);
    const out = ours.stdout + ours.stderr;
    assert.match(out, /Disabling track script chk due to insecure/);
    assert.ok(out.includes(`Unsafe permissions found for script '${s.chk}' - disabling.`), out);
    assert.ok(out.includes(`Unsafe permissions found for script '${s.notify}' - disabling.`), out);
  } finally {
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});

test('enable_script_security: the daemon does not track the insecure vrrp_script nor run the insecure notify script', { timeout: 30_000 }, async () => {
  const s = insecureSetup();
  try {
    await withLab({ hosts: 1, timeoutMs: 25_000 }, async (lab) => {
      const h1 = lab.hosts[0]!;
      await withDaemons(async (keep) => {
        const d = keep(startKeepalivedTs(h1, s.conf));
        await d.waitForLog(/Disabling track script chk due to insecure/, 5000);
        // the always-failing weight-0 script would hold the instance in FAULT if it were tracked
        await h1.waitForAddress('192.0.2.100', { timeoutMs: 8000 });
        await d.waitForLog(/\(VI_1\) Entering MASTER STATE/, 1000);
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal(fs.existsSync(s.marker), false, 'the insecure notify_master must not run');
        assert.equal(d.logs().some((l) => /Entering FAULT STATE/.test(l)), false);
      }, { logLines: 30 });
    });
  } finally {
    fs.rmSync(s.dir, { recursive: true, force: true });
  }
});
