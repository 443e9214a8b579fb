#!/usr/bin/env node
'use strict';
// Builds the npm tarball a load balancer installs with `npm install -g <tarball>` and no compiler:
// the compiled code (dist/src), the man page (dist/man), our addons prebuilt for this machine
// (build/Release/*.node) and every production dependency bundled (bundleDependencies) with the
// native ones already built (raw-socket's build/Release/raw.node, netlink's and msgpackr-extract's
// prebuilds). npm runs `node-gyp rebuild` for a package that has a binding.gyp and no install
// script; the bundled copies that carry a built .node therefore lose their binding.gyp, and our own
// package has `"gypfile": false`. The tarball is for this OS and architecture (its name says so).
//
//   node scripts/pack.js [--out DIR] [--no-build]     → DIR/keepalived-ts-<version>-linux-<arch>.tgz
//
// Packing from the repository itself is not enough: node_modules may be a symlink (worktrees), which
// npm pack follows into paths outside the package, and it holds dev dependencies.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const outDir = path.resolve(args.includes('--out') ? args[args.indexOf('--out') + 1] : root);
// KTS_DIST: the build directory (tests compile into their own), shipped as dist/
const distDir = process.env.KTS_DIST || 'dist';
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function run(cmd, argv, cwd) {
  const r = spawnSync(cmd, argv, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}`);
  return r.stdout;
}

if (!args.includes('--no-build')) run('npm', ['run', 'build', '--silent'], root);
run(process.execPath, [path.join(root, 'scripts', 'build-man.js')], root); // into distDir/man

const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-pack-'));
try {
  // our files: package.json `files`; the one glob is build/Release/*.node
  for (const entry of pkg.files) {
    if (entry === 'build/Release/*.node') {
      fs.mkdirSync(path.join(stage, 'build', 'Release'), { recursive: true });
      for (const f of fs.readdirSync(path.join(root, 'build', 'Release')).filter((n) => n.endsWith('.node'))) {
        fs.copyFileSync(path.join(root, 'build', 'Release', f), path.join(stage, 'build', 'Release', f));
      }
      continue;
    }
    const src = path.join(root, entry.replace(/^dist\//, `${distDir}/`));
    if (!fs.existsSync(src)) throw new Error(`pack: ${entry} is missing`);
    fs.cpSync(src, path.join(stage, entry), { recursive: true, dereference: true, filter: (s) => !s.endsWith('.map') });
  }
  // the installed package builds nothing and has no tests: no prepare/test scripts, no dev dependencies
  const shipped = { ...pkg, scripts: { demo: 'node dist/src/demo/lab.js' } };
  delete shipped.devDependencies;
  fs.writeFileSync(path.join(stage, 'package.json'), JSON.stringify(shipped, null, 2) + '\n');

  // the production dependency closure, found as Node finds it (node_modules of the dependent, then upwards)
  const find = (name, from) => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const p = path.join(dir, 'node_modules', name);
      if (fs.existsSync(path.join(p, 'package.json'))) return p;
      if (dir === root || dir === path.dirname(dir)) return null;
    }
  };
  const seen = new Set();
  const queue = Object.keys(pkg.dependencies).map((n) => [n, root, false]);
  while (queue.length) {
    const [name, from, optional] = queue.shift();
    const dir = find(name, from);
    if (!dir) {
      if (optional) continue;
      throw new Error(`pack: dependency ${name} (of ${from}) is not installed`);
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    const dpkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    for (const n of Object.keys(dpkg.dependencies ?? {})) queue.push([n, dir, false]);
    for (const n of Object.keys(dpkg.optionalDependencies ?? {})) queue.push([n, dir, true]);
  }
  for (const dir of seen) {
    const dest = path.join(stage, path.relative(root, dir));
    fs.cpSync(dir, dest, {
      recursive: true,
      dereference: true,
      // nested node_modules come through the closure; node-gyp's intermediates stay behind
      filter: (s) => !path.relative(dir, s).split(path.sep).some((c) => c === 'node_modules' || c === 'obj.target'),
    });
    const gyp = path.join(dest, 'binding.gyp');
    const dpkg = JSON.parse(fs.readFileSync(path.join(dest, 'package.json'), 'utf8'));
    if (fs.existsSync(gyp) && !dpkg.scripts?.install && !dpkg.scripts?.preinstall) {
      const built = path.join(dest, 'build', 'Release');
      if (!fs.existsSync(built) || !fs.readdirSync(built).some((n) => n.endsWith('.node'))) throw new Error(`pack: ${dpkg.name} has no built addon in ${built}`);
      fs.rmSync(gyp); // npm would run node-gyp rebuild for it on the target
    }
  }

  const out = run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', stage], stage).trim().split('\n').pop();
  const target = path.join(outDir, `${pkg.name}-${pkg.version}-${process.platform}-${process.arch}.tgz`);
  fs.mkdirSync(outDir, { recursive: true });
  fs.copyFileSync(path.join(stage, out), target);
  process.stdout.write(`${target}\n`);
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
