import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../helpers/keepalived';

const UNITS = ['keepalived-ts.service', 'keepalived-ts-nonroot.service'];
const SYSTEM_UNITS = '/usr/lib/systemd/system';

/**
 * `systemd-analyze verify` of units in a scratch root holding them, the executables they name and
 * the distribution's own units (sysinit.target …), so nothing is installed on this machine. The man
 * page check is off: keepalived-ts(8) is installed by the package, not present in a checkout.
 * Returns the complaints about our units (verify exits 0 on many of them, so its output is read).
 */
function verify(units: Record<string, string>): { status: number | null; complaints: string[] } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-verify-'));
  try {
    fs.mkdirSync(path.join(root, 'etc', 'systemd', 'system'), { recursive: true });
    fs.mkdirSync(path.join(root, 'usr', 'bin'), { recursive: true });
    fs.mkdirSync(path.join(root, 'usr', 'lib', 'systemd'), { recursive: true });
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    fs.copyFileSync(path.join(repoRoot(), 'bin', 'keepalived-ts'), path.join(root, 'usr', 'bin', 'keepalived-ts'));
    fs.copyFileSync('/bin/kill', path.join(root, 'bin', 'kill'));
    fs.symlinkSync(SYSTEM_UNITS, path.join(root, 'usr', 'lib', 'systemd', 'system'));
    for (const [name, text] of Object.entries(units)) fs.writeFileSync(path.join(root, 'etc', 'systemd', 'system', name), text);
    const r = spawnSync('systemd-analyze', ['verify', '--man=no', `--root=${root}`, ...Object.keys(units)], { encoding: 'utf8' });
    const out = `${r.stdout}\n${r.stderr}`;
    return { status: r.status, complaints: out.split('\n').filter((l) => l.includes('keepalived-ts')) };
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const shipped = (): Record<string, string> => Object.fromEntries(UNITS.map((u) => [u, fs.readFileSync(path.join(repoRoot(), 'systemd', u), 'utf8')]));

test('systemd-analyze verify passes on the shipped units', () => {
  assert.ok(spawnSync('systemd-analyze', ['--version']).status === 0, 'systemd-analyze is installed (scripts/setup.sh installs systemd)');
  const r = verify(shipped());
  assert.equal(r.status, 0);
  assert.deepEqual(r.complaints, []);
});

test('systemd-analyze verify, as run here, reports a broken unit (the check above can fail)', () => {
  const units = shipped();
  units['keepalived-ts.service'] = units['keepalived-ts.service']!.replace('Type=notify', 'Type=notifyy').replace('KillMode=mixed', 'KillMode=sometimes');
  const r = verify(units);
  assert.ok(r.complaints.some((l) => /service type/i.test(l)), r.complaints.join('\n'));
  assert.ok(r.complaints.some((l) => /kill mode/i.test(l)), r.complaints.join('\n'));
});

test('the units run keepalived-ts the way its sd_notify support expects', () => {
  for (const [name, text] of Object.entries(shipped())) {
    const has = (re: RegExp): void => assert.match(text, re, `${name}: ${re}`);
    has(/^Type=notify$/m);
    has(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
    has(/^EnvironmentFile=-\/etc\/default\/keepalived$/m);
    has(/^EnvironmentFile=-\/etc\/sysconfig\/keepalived$/m);
    has(/^RuntimeDirectory=keepalived-ts$/m);
    has(/^PIDFile=\/run\/keepalived-ts\/keepalived\.pid$/m);
    has(/^ExecStart=\S+keepalived-ts --dont-fork --pid=\/run\/keepalived-ts\/keepalived\.pid .*\$DAEMON_ARGS \$KEEPALIVED_OPTIONS$/m);
  }
  const nonroot = shipped()['keepalived-ts-nonroot.service']!;
  assert.match(nonroot, /^User=keepalived-ts$/m);
  assert.match(nonroot, /^AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW$/m);
  assert.match(nonroot, /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW$/m);
});
