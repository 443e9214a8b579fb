#!/usr/bin/env node
'use strict';
// Builds our N-API addons (binding.gyp: native/packet.cc etc. → build/Release/kts_packet.node,
// native/syslog.cc → kts_syslog.node) when one is missing or older than binding.gyp or a native
// source (a checkout that gained a source file must not keep the old addon).
// It is the only builder: package.json has `"gypfile": false`, so npm never runs `node-gyp rebuild`
// by itself (an installed tarball ships the built addons and no compiler is needed); `npm install`
// / `npm ci` run it through `prepare` → `npm run build`. Set KTS_REBUILD_ADDON=1 to force a rebuild.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const addons = ['kts_packet', 'kts_syslog'].map((t) => path.join(root, 'build', 'Release', `${t}.node`));
const mtime = (f) => fs.statSync(f).mtimeMs;
const inputs = [path.join(root, 'binding.gyp'), ...fs.readdirSync(path.join(root, 'native')).map((f) => path.join(root, 'native', f))];
const upToDate = addons.every((a) => fs.existsSync(a) && inputs.every((f) => mtime(f) <= mtime(a)));
if (upToDate && process.env.KTS_REBUILD_ADDON !== '1') process.exit(0);

let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
} catch {
  console.error('build-addon: node-gyp is not installed (npm install first)');
  process.exit(1);
}
// Outside `npm run`, node-gyp does not see npm's `nodedir` setting and would download headers;
// use the headers installed next to this node binary when they are there (offline builds).
const args = [gyp, 'rebuild'];
const prefix = path.resolve(path.dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0 || !addons.every((a) => fs.existsSync(a))) {
  console.error('build-addon: building the native addons (binding.gyp, native/*.cc) failed');
  process.exit(r.status || 1);
}
