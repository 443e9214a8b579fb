/**
 * Script security against keepalived 2.2.7, one rule for `-t` and the running daemon
 * (actors/notifier/security.ts). Scripts sit in four directories under a root:root 0755 one:
 * root:root 0755 and root:root 0775 (safe: a root group may write), root:nogroup 0775 (writable by a
 * non-root group) and root:root 0777 (world-writable, not sticky).
 * - `-t`, per directory, with enable_script_security (script_user root, and without any script user),
 *   and without it: the exit code and keepalived's script-security lines equal keepalived's.
 * - the daemon, all four directories in one configuration: with enable_script_security it runs
 *   exactly the scripts `-t` did not report as insecure; without it it runs them all and logs
 *   keepalived's SECURITY VIOLATION line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { withLab, type Host } from '../helpers/lab';
import { KEEPALIVED_BIN, repoRoot, distDirName, startKeepalivedTs, vrrpConfig } from '../helpers/keepalived';
import { appendableFile, scriptDir, withDaemons } from '../helpers/e2e';
import { lookupUser } from '../../src/actors/notifier/security';

const DIRS = ['root0755', 'root0775', 'group0775', 'world0777'] as const;
type Dir = (typeof DIRS)[number];
type Security = 'on' | 'on-no-user' | 'off';

interface Tree {
  base: string;
  /** per directory: its vrrp_script and its notify_master script, each appending its name to `ran` */
  chk: Record<Dir, string>;
  notify: Record<Dir, string>;
  ran: string;
}

function makeTree(): Tree {
  const base = scriptDir('kts-sec-');
  const ran = appendableFile(base, 'ran');
  const chk = {} as Record<Dir, string>;
  const notify = {} as Record<Dir, string>;
  const nogroup = lookupUser('nobody')!.gid;
  assert.notEqual(nogroup, 0);
  for (const d of DIRS) {
    const dir = path.join(base, d);
    fs.mkdirSync(dir);
    if (d === 'group0775') fs.chownSync(dir, 0, nogroup);
    fs.chmodSync(dir, d === 'root0755' ? 0o755 : d === 'world0777' ? 0o777 : 0o775);
    chk[d] = path.join(dir, 'chk.sh');
    notify[d] = path.join(dir, 'notify.sh');
    fs.writeFileSync(chk[d], `#!/bin/sh\necho chk_${d} >> ${ran}\nexit 0\n`, { mode: 0o755 });
    fs.writeFileSync(notify[d], `#!/bin/sh\necho notify_${d} >> ${ran}\n`, { mode: 0o755 });
  }
  return { base, chk, notify, ran };
}

function globals(sec: Security): string[] {
  return sec === 'on' ? ['script_user root', 'enable_script_security'] : sec === 'on-no-user' ? ['enable_script_security'] : ['script_user root'];
}

/**
 * One instance per directory (VRIDs 51..), each tracking that directory's vrrp_script and notifying its
 * script; the vrrp_scripts come first (keepalived ignores a track_script naming one defined later).
 */
function config(t: Tree, dirs: readonly Dir[], sec: Security): string {
  const instances = dirs.map((d, i) => vrrpConfig({
    instance: `VI_${d}`, vrid: 51 + i, state: 'MASTER', priority: 100, vips: [`192.0.2.${100 + i}/24`],
    extraGlobal: globals(sec), extraInstance: ['track_script {', `  chk_${d}`, '}', `notify_master "${t.notify[d]}"`],
  }));
  const globalDefs = /^global_defs \{[\s\S]*?\n\}\n/.exec(instances[0]!)![0];
  const scripts = dirs.map((d) => [`vrrp_script chk_${d} {`, `  script "${t.chk[d]}"`, '  interval 1', '}', ''].join('\n'));
  return [globalDefs, ...scripts, ...instances.map((x) => x.slice(globalDefs.length))].join('\n');
}

interface TestRun { code: number | null; lines: string[] }

/** keepalived's report_config_error lines about script security, without their "(file: Line n) " prefix. */
function securityLines(text: string, ours: boolean): string[] {
  return text.split('\n')
    .map((l) => (ours ? /^.*?: error: (.*) \[E_[A-Z_]+\]$/.exec(l)?.[1] : l.replace(/^\(.*?\) /, '')) ?? '')
    .filter((l) => /due to insecure|SECURITY VIOLATION|default user/.test(l)).sort();
}

function configTest(file: string): { ka: TestRun; ours: TestRun; oursText: string } {
  const ka = spawnSync(KEEPALIVED_BIN, ['-t', '-f', file], { encoding: 'utf8' });
  const ours = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'keepalived-ts'), '-t', '-f', file], {
    encoding: 'utf8', env: { ...process.env, KTS_DIST: distDirName() },
  });
  return {
    ka: { code: ka.status, lines: securityLines(ka.stderr, false) },
    ours: { code: ours.status, lines: securityLines(ours.stderr, true) },
    oursText: ours.stdout + ours.stderr,
  };
}

test('-t: exit code and script-security lines equal keepalived 2.2.7\'s for 0755, root-group 0775, non-root-group 0775 and world-writable directories, with and without enable_script_security', () => {
  const t = makeTree();
  try {
    const expectedExit: Record<Security, Record<Dir, number>> = {
      // measured on keepalived 2.2.7: 5 = a vrrp_script disabled, 6 = SECURITY VIOLATION
      'on': { root0755: 0, root0775: 0, group0775: 5, world0777: 5 },
      'on-no-user': { root0755: 5, root0775: 5, group0775: 5, world0777: 5 },
      'off': { root0755: 6, root0775: 6, group0775: 6, world0777: 6 },
    };
    for (const sec of ['on', 'on-no-user', 'off'] as const) {
      for (const d of DIRS) {
        const file = path.join(t.base, `k-${d}-${sec}.conf`);
        fs.writeFileSync(file, config(t, [d], sec));
        const r = configTest(file);
        const what = `${d}, script security ${sec}`;
        assert.equal(r.ka.code, expectedExit[sec][d], `keepalived -t (${what}): the oracle moved`);
        assert.equal(r.ours.code, r.ka.code, `-t exit code (${what})\n${r.oursText}`);
        assert.deepEqual(r.ours.lines, r.ka.lines, `-t script-security lines (${what})\n${r.oursText}`);
        const insecure = d === 'group0775' || d === 'world0777';
        if (sec === 'on') {
          // keepalived logs these (not on -t's output); ours prints them as warnings
          for (const s of [t.chk[d], t.notify[d]]) {
            assert.equal(r.oursText.includes(`Unsafe permissions found for script '${s}' - disabling.`), insecure, `${what}: ${s}\n${r.oursText}`);
          }
        }
      }
    }
  } finally {
    fs.rmSync(t.base, { recursive: true, force: true });
  }
});

/** Runs the daemon on all four directories until every instance is MASTER and every tracked script had time to run. */
async function daemonRun(h: Host, t: Tree, sec: Security): Promise<{ ran: Set<string>; logs: string[] }> {
  fs.writeFileSync(t.ran, '');
  return withDaemons(async (keep) => {
    const d = keep(startKeepalivedTs(h, config(t, DIRS, sec)));
    for (let i = 0; i < DIRS.length; i++) await h.waitForAddress(`192.0.2.${100 + i}`, { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 2500)); // interval 1: two runs of each tracked script
    const ran = new Set(fs.readFileSync(t.ran, 'utf8').split('\n').filter(Boolean));
    await d.stop();
    return { ran, logs: d.logs() };
  }, { logLines: 40 });
}

test('the daemon refuses exactly the scripts -t reports insecure under enable_script_security, and without it runs them all and logs SECURITY VIOLATION', { timeout: 90_000 }, async () => {
  const t = makeTree();
  try {
    const all = DIRS.flatMap((d) => [`chk_${d}`, `notify_${d}`]);
    // what -t reports insecure on the same configuration
    const file = path.join(t.base, 'all.conf');
    fs.writeFileSync(file, config(t, DIRS, 'on'));
    const r = configTest(file);
    assert.equal(r.ours.code, r.ka.code);
    assert.deepEqual(r.ours.lines, r.ka.lines);
    const reported = new Set<string>();
    for (const d of DIRS) {
      if (r.ka.lines.includes(`Disabling track script chk_${d} due to insecure`)) reported.add(`chk_${d}`);
      if (r.oursText.includes(`Unsafe permissions found for script '${t.notify[d]}' - disabling.`)) reported.add(`notify_${d}`);
    }
    assert.deepEqual([...reported].sort(), ['chk_group0775', 'chk_world0777', 'notify_group0775', 'notify_world0777']);

    await withLab({ hosts: 1, timeoutMs: 80_000 }, async (lab) => {
      const h = lab.hosts[0]!;
      const on = await daemonRun(h, t, 'on');
      assert.deepEqual([...on.ran].sort(), all.filter((s) => !reported.has(s)).sort(), 'with script security: the scripts that ran');
      for (const d of ['group0775', 'world0777'] as const) {
        assert.ok(on.logs.some((l) => l.includes(`Disabling track script chk_${d} due to insecure`)), on.logs.join('\n'));
      }
      assert.equal(on.logs.some((l) => l.includes('SECURITY VIOLATION')), false);

      const off = await daemonRun(h, t, 'off');
      assert.deepEqual([...off.ran].sort(), [...all].sort(), 'without script security every script runs');
      const violation = 'SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.';
      assert.ok(off.logs.some((l) => l.includes(violation)), off.logs.join('\n'));
      for (const d of ['group0775', 'world0777'] as const) {
        assert.ok(off.logs.some((l) => l.includes(`Unsafe permissions found for script '${t.chk[d]}'.`)), off.logs.join('\n'));
      }
    });
  } finally {
    fs.rmSync(t.base, { recursive: true, force: true });
  }
});

test('script_user: the daemon runs its notify and tracked scripts as that user (keepalived\'s run-as user, from the same audit)', { timeout: 40_000 }, async () => {
  const dir = scriptDir('kts-runas-');
  try {
    const out = appendableFile(dir, 'ids');
    const s = path.join(dir, 'who.sh');
    fs.writeFileSync(s, `#!/bin/sh\necho "$1 $(id -u):$(id -g)" >> ${out}\n`, { mode: 0o755 });
    const nobody = lookupUser('nobody')!;
    const conf = vrrpConfig({
      state: 'MASTER', priority: 100, vips: ['192.0.2.100/24'], extraGlobal: ['script_user nobody'],
      extraInstance: ['track_script {', '  chk', '}', `notify_master "${s} master"`],
    }).replace(/(\n\}\n)/, `$1\nvrrp_script chk {\n  script "${s} chk"\n  interval 1\n}\n`);
    await withLab({ hosts: 1, timeoutMs: 35_000 }, async (lab) => {
      const h = lab.hosts[0]!;
      await withDaemons(async (keep) => {
        keep(startKeepalivedTs(h, conf));
        await h.waitForAddress('192.0.2.100', { timeoutMs: 10_000 });
        const t0 = Date.now();
        const seen = () => new Set(fs.readFileSync(out, 'utf8').split('\n').filter(Boolean));
        while (seen().size < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 100));
        assert.deepEqual([...seen()].sort(), [`chk ${nobody.uid}:${nobody.gid}`, `master ${nobody.uid}:${nobody.gid}`]);
      }, { logLines: 30 });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
