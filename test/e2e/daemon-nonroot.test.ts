import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withLab, makeTempDir, removeTempDir } from '../helpers/lab';
import { repoRoot, distDirName, vrrpConfig } from '../helpers/keepalived';
import { adverts, until } from '../helpers/bench-daemon';
import { isGratuitousArp } from '../helpers/pcap';
import { spawnSync } from 'node:child_process';

/**
 * A tree user nobody can read: the checkout itself when it can (as an installed package is), else a copy
 * of what runs it (bin, the built code, the addons, node_modules without the build tools) in a 0755
 * directory. CI and the soak clone into `mktemp -d` (0700), which nobody cannot enter.
 */
function readableTree(dir: string): string {
  const root = repoRoot();
  const probe = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'test', '-r', path.join(root, distDirName(), 'src', 'cli.js')]);
  if (probe.status === 0) return root;
  const tree = path.join(dir, 'tree');
  const dev = new Set(['typescript', 'eslint', '@typescript-eslint', 'typescript-eslint', 'playwright-core', '@eslint', 'node-gyp']);
  for (const part of ['bin', 'package.json', 'binding.gyp', path.join('build', 'Release'), path.join(distDirName(), 'src'), 'node_modules']) {
    fs.cpSync(path.join(root, part), path.join(tree, part), {
      recursive: true, dereference: true,
      filter: (src) => !(path.dirname(src) === path.join(root, 'node_modules') && dev.has(path.basename(src))),
    });
  }
  return tree;
}

/** The capabilities the non-root unit grants (AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW). */
const CAPS = ['net_admin', 'net_raw'];
const CAP_BITS = (1n << 12n) | (1n << 13n);

test('as user nobody with only CAP_NET_ADMIN and CAP_NET_RAW (ambient) the daemon wins MASTER, adds the VIP, sends GARPs and releases on SIGTERM; pid file and control socket live in a runtime dir it owns', { timeout: 60_000 }, async () => {
  const dir = makeTempDir('kts-nonroot-');
  const run = path.join(dir, 'run');
  fs.mkdirSync(run);
  fs.chmodSync(dir, 0o755);
  fs.chownSync(run, 65534, 65534); // nobody:nogroup, as systemd's RuntimeDirectory= with User=
  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(conf, vrrpConfig({ state: 'BACKUP', priority: 100, vips: ['192.0.2.100/24'] }));
  fs.chmodSync(conf, 0o644);
  try {
    await withLab({ hosts: 2 }, async (lab) => {
      const [h1, h2] = lab.hosts;
      const cap = await lab.capture('vrrp or arp');
      const caps = CAPS.map((c) => `+${c}`).join(',');
      const tree = readableTree(dir);
      const proc = h1!.spawn([
        'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', `--inh-caps=-all,${caps}`, `--ambient-caps=${caps}`, `--bounding-set=-all,${caps}`,
        process.execPath, path.join(tree, 'bin', 'keepalived-ts'), '-n', '-l', '-G', '-f', conf,
        '-p', path.join(run, 'keepalived.pid'), '--control-socket', path.join(run, 'control.sock'),
      ], { env: { ...process.env, KTS_DIST: distDirName() }, label: 'nonroot' });
      try {
        await proc.waitForOutput(/\(VI_1\) Entering MASTER STATE/, 10_000);
        const status = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8');
        assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m, 'runs as nobody');
        assert.equal(BigInt('0x' + /^CapEff:\s+([0-9a-f]+)$/m.exec(status)![1]), CAP_BITS, 'effective capabilities: exactly NET_ADMIN and NET_RAW');
        assert.equal(BigInt('0x' + /^CapBnd:\s+([0-9a-f]+)$/m.exec(status)![1]), CAP_BITS, 'nothing more can be gained');
        await h1!.waitForAddress('192.0.2.100', { present: true, timeoutMs: 5000 });
        const frames = await cap.waitFor((f) => f.some((x) => isGratuitousArp(x.frame, '192.0.2.100')), 5000);
        assert.ok(adverts(frames, { src: h1!.ip4 }).some((a) => a.priority === 100), 'adverts sent');
        assert.equal(Number(fs.readFileSync(path.join(run, 'keepalived.pid'), 'utf8')), proc.pid, 'pid file written in the runtime dir');
        assert.ok(fs.statSync(path.join(run, 'control.sock')).isSocket(), 'control socket listens');
        assert.equal(await h2!.hasAddress('192.0.2.100'), false);
        proc.kill('SIGTERM');
        const exit = await proc.wait();
        assert.equal(exit.code, 0, proc.output().stderr.slice(-20).join('\n'));
        assert.equal(await h1!.hasAddress('192.0.2.100'), false, 'VIP released');
        await until('priority-0 advert', () => adverts(cap.frames(), { src: h1!.ip4 }).some((a) => a.priority === 0), 3000);
        assert.equal(fs.existsSync(path.join(run, 'keepalived.pid')), false, 'pid file removed');
        assert.equal(fs.existsSync(path.join(run, 'control.sock')), false, 'control socket removed');
        const errors = [...proc.output().stdout, ...proc.output().stderr].filter((l) => /"level":(40|50|60)/.test(l));
        assert.deepEqual(errors, [], 'no warning or error logged');
      } finally {
        proc.kill('SIGKILL');
        await cap.stop();
      }
    });
  } finally {
    removeTempDir(dir);
  }
});
