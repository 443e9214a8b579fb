'use strict';
// A node:test reporter for scripts/run-tests.js: it reads the runner's structured events (never the
// text of another reporter) and writes one JSON object when the run ends:
//   { pass, fail, skipped, todo, cancelled, failed: [test names], seeds: [TEST_SEED values] }
// Counted like node's own summary: every test and subtest, suites excluded. A file that fails outside
// its tests (a crash at load, process.exit) arrives as a failed test named by the file's path.
// A seed is a diagnostic `TEST_SEED=<n>` a randomized test printed (test/helpers/prng.ts testSeed).
module.exports = async function* runTestsReporter(source) {
  const r = { pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0, failed: [], seeds: [] };
  for await (const ev of source) {
    const d = ev.data || {};
    if (ev.type === 'test:diagnostic') {
      const m = /^TEST_SEED=(\d+)$/.exec(String(d.message));
      if (m && !r.seeds.includes(m[1])) r.seeds.push(m[1]);
      continue;
    }
    if ((ev.type !== 'test:pass' && ev.type !== 'test:fail') || (d.details && d.details.type === 'suite')) continue;
    if (d.skip !== undefined && d.skip !== false) r.skipped++;
    else if (d.todo !== undefined && d.todo !== false) r.todo++;
    else if (ev.type === 'test:pass') r.pass++;
    else if (d.details && d.details.error && d.details.error.failureType === 'cancelledByParent') r.cancelled++;
    else {
      r.fail++;
      r.failed.push(d.name);
    }
  }
  yield `${JSON.stringify(r)}\n`;
};
