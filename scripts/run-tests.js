#!/usr/bin/env node
'use strict';
// Runs the compiled test files with node's own test runner (Node 20 has no glob support in --test).
// Usage: node scripts/run-tests.js [unit|e2e|PATH-SUBSTRING...]
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..', process.env.KTS_DIST || 'dist', 'test');
function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.test.js') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
const files = walk(root).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) { console.error('run-tests: no test files matched'); process.exit(1); }
const concurrency = process.env.TEST_CONCURRENCY || '2';
const r = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(r.status === null ? 1 : r.status);
