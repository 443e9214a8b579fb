#!/usr/bin/env node
'use strict';
// Runs the compiled test files with node's own test runner, one process per file, TEST_CONCURRENCY
// (default 2) at a time; each file's output is printed whole when it ends, so parallel files never
// interleave. Usage: node scripts/run-tests.js [unit|e2e|PATH-SUBSTRING...]
//
// Each file runs with two reporters: spec (the text printed) and scripts/test-reporter.js, whose
// JSON (counts, failed test names, the TEST_SEED a randomized test printed) is what is counted;
// nothing is read from the spec text. A file fails when its process exits non-zero.
//
// CI runs once, so nothing is retried by default. TEST_E2E_RETRIES=N runs a failed end-to-end file
// up to N more times (both runs printed, a FLAKY note at the end), with the TEST_SEED its failed run
// printed, so a randomized test replays the same input. Unit files are never retried.
// TEST_SUMMARY_FILE=PATH also writes the totals as JSON there (scripts/soak.sh reads it).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..', process.env.KTS_DIST || 'dist', 'test');
const reporter = path.join(__dirname, 'test-reporter.js');
function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : e.name.endsWith('.test.js') ? [p] : [];
  });
}
const filters = process.argv.slice(2);
const files = walk(root).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
const concurrency = Math.max(1, Number(process.env.TEST_CONCURRENCY || '2'));
const retries = Math.max(0, Number(process.env.TEST_E2E_RETRIES || '0'));
const rel = (f) => path.relative(path.join(__dirname, '..'), f);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-tests-'));
let runs = 0;

/** Runs one file; `seed` (a TEST_SEED to replay) or the environment's. */
function runFile(file, seed) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const events = path.join(tmp, `${++runs}.json`);
    const env = seed === undefined ? process.env : { ...process.env, TEST_SEED: seed };
    const args = ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${reporter}`, `--test-reporter-destination=${events}`, file];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const chunks = [];
    child.stdout.on('data', (d) => chunks.push(d));
    child.stderr.on('data', (d) => chunks.push(d));
    child.on('close', (code, signal) => {
      let counts;
      try {
        counts = JSON.parse(fs.readFileSync(events, 'utf8'));
      } catch {
        counts = { pass: 0, fail: 0, cancelled: 0, failed: [], seeds: [] }; // the runner itself died: no events
      }
      fs.rmSync(events, { force: true });
      const failedCount = counts.fail + counts.cancelled;
      resolve({
        file, code: code ?? 1, signal, out: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - t0,
        pass: counts.pass, todo: counts.todo ?? 0, fail: code !== 0 && failedCount === 0 ? 1 : failedCount, failed: counts.failed, seeds: counts.seeds,
      });
    });
  });
}

const seedNote = (r) => (r.seeds.length ? `; replay with TEST_SEED=${r.seeds.join(',')}` : '');

// Files that boot the emulated VM (tools/vm-run: qemu with 2 busy vCPUs) run alone, after the others:
// beside them the wall-clock e2e files would measure the emulator's load, not the daemon. So do files
// that say `@run-alone` in their header comment: they bound the daemon's timing to a few milliseconds
// (advert gaps at 0.1 s), which a second test file's daemons on the same 2 cores would decide instead.
const alone = (f) => /-vm\.test\.js$/.test(f) || fs.readFileSync(f, 'utf8').slice(0, 4096).includes('@run-alone');

async function main() {
  const queue = files.filter((f) => !alone(f));
  const results = [];
  const flaky = [];
  async function worker() {
    for (;;) {
      const file = queue.shift();
      if (!file) return;
      let r = await runFile(file);
      let tries = 0;
      while (r.code !== 0 && tries < retries && file.includes(`${path.sep}e2e${path.sep}`)) {
        tries++;
        const seed = r.seeds.length === 1 ? r.seeds[0] : undefined;
        process.stdout.write(`\n===== ${rel(file)} (${r.ms} ms): FAILED, running it once more${seed ? ` with TEST_SEED=${seed}` : ''} (FLAKY check) =====\n${r.out}`);
        const again = await runFile(file, seed);
        if (again.code === 0) flaky.push(rel(file));
        r = again;
      }
      process.stdout.write(`\n===== ${rel(file)} (${r.ms} ms) =====\n${r.out}`);
      results.push(r);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  queue.push(...files.filter(alone));
  await worker();
  fs.rmSync(tmp, { recursive: true, force: true });
  const pass = results.reduce((a, r) => a + r.pass, 0);
  const fail = results.reduce((a, r) => a + r.fail, 0);
  const failed = results.filter((r) => r.code !== 0);
  process.stdout.write(`\nrun-tests: ${files.length} files; ${flaky.length} passed only on a second run${flaky.length ? ': ' + flaky.join(', ') : ''}\n`);
  for (const r of failed) {
    const names = r.failed.length ? r.failed.join(' | ') : `exit ${r.signal ?? r.code}`;
    process.stdout.write(`run-tests: FAILED ${rel(r.file)}: ${names}${seedNote(r)}\n`);
  }
  if (failed.length) process.stdout.write(`run-tests: failed files: ${failed.map((r) => rel(r.file)).join(', ')}\n`);
  const todo = results.reduce((a, r) => a + (r.todo ?? 0), 0);
  if (todo) process.stdout.write(`run-tests: ${todo} TODO test(s) ran and are not counted: open work named in their titles' todo reasons (grep '# TODO')\n`);
  process.stdout.write(`${pass} passed, ${fail} failed\n`);
  if (process.env.TEST_SUMMARY_FILE) {
    const summary = { files: files.length, pass, fail, failedFiles: failed.map((r) => rel(r.file)), flaky };
    fs.writeFileSync(process.env.TEST_SUMMARY_FILE, `${JSON.stringify(summary)}\n`);
  }
  process.exit(failed.length ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
