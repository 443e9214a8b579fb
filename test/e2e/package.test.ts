/**
 * The shipped artefacts, installed as a user would: the npm tarball (scripts/pack.js) with
 * `npm install -g` into a clean prefix and no compiler on PATH, and the Debian package
 * (scripts/build-deb.sh) with dpkg. Slow (packing, installing): one tarball serves both tests.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { withLab, makeTempDir, removeTempDir } from '../helpers/lab';
import { repoRoot, distDirName, vrrpConfig } from '../helpers/keepalived';

let dir = '';
let tarball = '';

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeout ?? 120_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

before(() => {
  dir = makeTempDir('kts-package-');
  const r = sh(process.execPath, [path.join(repoRoot(), 'scripts', 'pack.js'), '--no-build', '--out', dir], { env: { ...process.env, KTS_DIST: distDirName() }, timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  tarball = r.stdout.trim().split('\n').pop()!;
  assert.match(path.basename(tarball), new RegExp(`^keepalived-ts-\\d+\\.\\d+\\.\\d+-linux-${process.arch}\\.tgz$`));
});

after(() => {
  if (dir) removeTempDir(dir);
});

test('npm pack + npm install -g of the tarball into a clean prefix with no compiler on PATH: no tests shipped, -v, -t and a two-node run work', { timeout: 300_000 }, async () => {
  const entries = sh('tar', ['tzf', tarball]).stdout.split('\n');
  assert.ok(entries.includes('package/dist/src/cli.js') && entries.includes('package/build/Release/kts_packet.node'), 'built code and our addon shipped');
  assert.ok(entries.includes('package/node_modules/raw-socket/build/Release/raw.node'), 'raw-socket bundled with its built addon');
  assert.deepEqual(entries.filter((e) => /^package\/(test|src|bench|native|dist\/test)\//.test(e) || e.includes('/../')), [], 'no tests, sources or paths outside the package');
  assert.equal(entries.includes('package/node_modules/raw-socket/binding.gyp'), false, 'npm is not asked to rebuild raw-socket');

  // PATH: only node, sh, env and npm (a temp dir of symlinks): no cc, c++, g++, make, python
  const bin = path.join(dir, 'bin');
  const prefix = path.join(dir, 'prefix');
  fs.mkdirSync(bin);
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  for (const t of ['sh', 'env']) fs.symlinkSync(sh('sh', ['-c', `command -v ${t}`]).stdout.trim(), path.join(bin, t));
  const npmCli = fs.realpathSync(sh('sh', ['-c', 'command -v npm']).stdout.trim());
  fs.symlinkSync(npmCli, path.join(bin, 'npm'));
  const env = { HOME: dir, PATH: bin };
  for (const tool of ['cc', 'gcc', 'c++', 'g++', 'make', 'python3']) assert.notEqual(sh('sh', ['-c', `command -v ${tool}`], { env }).status, 0, `${tool} is not on PATH`);

  const inst = sh(path.join(bin, 'npm'), ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball], { env, timeout: 240_000 });
  assert.equal(inst.status, 0, inst.stdout + inst.stderr);
  assert.doesNotMatch(inst.stdout + inst.stderr, /node-gyp rebuild|gyp info/, 'nothing compiled');
  const installed = path.join(prefix, 'lib', 'node_modules', 'keepalived-ts');
  assert.equal(fs.existsSync(path.join(installed, 'test')), false);
  const kts = path.join(prefix, 'bin', 'keepalived-ts');

  const v = sh(kts, ['-v'], { env });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout, /^keepalived-ts \d+\.\d+\.\d+\n$/);
  const conf = (state: 'MASTER' | 'BACKUP', priority: number): string => {
    const f = path.join(dir, `${state}.conf`);
    fs.writeFileSync(f, vrrpConfig({ state, priority, vips: ['192.0.2.100/24'], advertInt: 1 }));
    return f;
  };
  const [confA, confB] = [conf('MASTER', 150), conf('BACKUP', 100)];
  const t = sh(kts, ['-t', '-f', confA], { env });
  assert.equal(t.status, 0, t.stderr);

  await withLab({ hosts: 2 }, async (lab) => {
    const [a, b] = lab.hosts;
    const runEnv = { PATH: process.env.PATH }; // no KTS_DIST: the installed dist
    const start = (h: typeof a, f: string, tag: string) =>
      h.spawn([process.execPath, kts, '-n', '-l', '-G', '-f', f, '-p', path.join(dir, `${tag}.pid`), '--control-socket', path.join(dir, `${tag}.sock`)], { env: runEnv, label: `npm-${tag}` });
    const pa = start(a!, confA, 'a');
    let pb: ReturnType<typeof start> | undefined;
    try {
      // both start BACKUP with down timers 39 ms apart: the BACKUP starts once the MASTER is elected
      await pa.waitForOutput(/\(VI_1\) Entering MASTER STATE/, 10_000);
      pb = start(b!, confB, 'b');
      await a!.waitForAddress('192.0.2.100', { present: true, timeoutMs: 5000 });
      await pb.waitForOutput(/\(VI_1\) Entering BACKUP STATE/, 10_000);
      assert.equal(await b!.hasAddress('192.0.2.100'), false, 'the BACKUP holds no VIP');
      pa.kill('SIGTERM');
      await b!.waitForAddress('192.0.2.100', { present: true, timeoutMs: 8000 });
      await a!.waitForAddress('192.0.2.100', { present: false, timeoutMs: 5000 });
    } finally {
      pa.kill('SIGKILL');
      if (pb) {
        pb.kill('SIGTERM');
        await Promise.race([pb.wait(), new Promise((r) => setTimeout(r, 5000))]);
        pb.kill('SIGKILL');
      }
    }
  });
});

test('the Debian package declares nodejs (>= 20), carries the code, default file and man page; dpkg -i installs it here, the command runs, the man page renders without warnings, dpkg -P removes it', { timeout: 300_000 }, () => {
  assert.notEqual(sh('dpkg-query', ['-W', '-f', '${Status}', 'keepalived-ts']).stdout.includes('installed'), true, 'keepalived-ts is not already installed on this machine');
  const out = path.join(dir, 'deb');
  const b = sh('bash', [path.join(repoRoot(), 'scripts', 'build-deb.sh'), '--no-build', '--tarball', tarball, '--out', out], { env: { ...process.env, KTS_DIST: distDirName() }, timeout: 240_000 });
  assert.equal(b.status, 0, b.stderr);
  const deb = b.stdout.trim().split('\n').pop()!;
  const info = sh('dpkg-deb', ['--info', deb]).stdout;
  assert.match(info, /^ Depends: nodejs \(>= 20\)/m);
  assert.match(info, /^ Package: keepalived-ts$/m);
  assert.match(info, /conffiles/);
  const files = sh('dpkg-deb', ['-c', deb]).stdout;
  for (const f of ['./usr/bin/keepalived-ts', './etc/default/keepalived-ts', './usr/share/man/man8/keepalived-ts.8.gz', './usr/lib/keepalived-ts/dist/src/cli.js']) assert.ok(files.includes(f), f);
  assert.doesNotMatch(files, /\/usr\/lib\/keepalived-ts\/(test|src)\//);
  // unpacked without installing: the tree runs, and what the units start is in the package
  const x = path.join(dir, 'x');
  assert.equal(sh('dpkg', ['-x', deb, x]).status, 0);
  for (const unit of ['keepalived-ts.service', 'keepalived-ts-nonroot.service']) {
    const text = fs.readFileSync(path.join(x, 'lib/systemd/system', unit), 'utf8');
    const exec = /^ExecStart=(\S+)/m.exec(text)![1];
    assert.ok(fs.existsSync(path.join(x, exec)), `${unit}: ${exec} is shipped`);
    assert.match(text, /^EnvironmentFile=-\/etc\/default\/keepalived-ts$/m, `${unit} reads the package's default file`);
  }
  assert.match(sh(process.execPath, [path.join(x, 'usr/lib/keepalived-ts/bin/keepalived-ts'), '-v'], { env: { PATH: process.env.PATH } }).stdout, /^keepalived-ts /);

  // the man page: groff reports nothing at every warning level; man -l renders the four sections
  const page = path.join(x, 'usr/share/man/man8/keepalived-ts.8.gz');
  const groff = spawnSync('sh', ['-c', `zcat '${page}' | groff -man -Tutf8 -ww -z`], { encoding: 'utf8' });
  assert.equal(groff.status, 0);
  assert.equal(groff.stderr, '', 'no groff warnings');
  const man = sh('man', ['-l', page], { env: { ...process.env, MANWIDTH: '100', MANPAGER: 'cat', PAGER: 'cat', LC_ALL: 'C.UTF-8' } });
  assert.equal(man.status, 0, man.stderr);
  assert.equal(man.stderr, '');
  const text = withoutOverstrike(man.stdout);
  for (const s of ['OPTIONS', 'SIGNALS', 'FILES', 'EXIT STATUS']) assert.match(text, new RegExp(`^${s}$`, 'm'), s);
  assert.match(text, /--use-file=FILE/);

  const userBefore = sh('getent', ['passwd', 'keepalived-ts']).status === 0;
  const inst = sh('dpkg', ['-i', deb]);
  try {
    assert.equal(sh('getent', ['passwd', 'keepalived-ts']).status, 0, 'postinst created the non-root unit\'s user');
    assert.equal(inst.status, 0, inst.stdout + inst.stderr);
    const v = sh('/usr/bin/keepalived-ts', ['-v'], { env: { PATH: '/usr/bin:/bin' } });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stdout, /^keepalived-ts /);
    assert.equal(sh('man', ['-w', 'keepalived-ts']).stdout.trim(), '/usr/share/man/man8/keepalived-ts.8.gz');
  } finally {
    const rm = sh('dpkg', ['-P', 'keepalived-ts']);
    if (!userBefore) sh('userdel', ['keepalived-ts']);
    assert.equal(rm.status, 0, rm.stderr);
  }
  assert.equal(fs.existsSync('/usr/lib/keepalived-ts'), false, 'purged');
  assert.equal(fs.existsSync('/etc/default/keepalived-ts'), false, 'conffile purged');
});

/** man's overstrike bold and underline (`c BS c`, `_ BS c`) as plain text: a backspace takes back the character before it. */
function withoutOverstrike(s: string): string {
  const out: string[] = [];
  for (const ch of s) {
    if (ch === '\b') out.pop();
    else out.push(ch);
  }
  return out.join('');
}
