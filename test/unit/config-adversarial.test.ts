import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeHostile } from '../helpers/config-adversarial';
import { ROOT } from '../helpers/config-golden';

// keepalived-ts -t on hostile input ends with a clear diagnostic: an exit status -t knows, `file:line:`
// lines, no stack trace, no hang (each run is killed after 20 s, which fails the test).
const BIN = path.join(ROOT, 'bin', 'keepalived-ts');

test('-t on a 10,000-line include tree, deep nesting, huge tokens, glob include cycles and binary garbage', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kts-hostile-'));
  try {
    for (const h of writeHostile(dir)) {
      const r = spawnSync(process.execPath, [BIN, '-t', '-f', h.main], { encoding: 'utf8', timeout: 20_000, maxBuffer: 1 << 30 });
      assert.equal(r.signal, null, `${h.name}: killed (${r.signal}) - a hang`);
      assert.ok([0, 5, 6].includes(r.status ?? -1), `${h.name}: exit ${r.status}\n${r.stderr.slice(0, 2000)}`);
      assert.doesNotMatch(r.stderr, /^\s+at |internal parser error|RangeError|TypeError/m, `${h.name}: a stack trace or an internal error`);
      for (const l of r.stderr.split('\n').filter(Boolean).slice(0, 1000)) assert.match(l, /^\S.*?:\d+: (warning|error): .* \[E_CONFIG_[A-Z_]+\]$/s, `${h.name}: unclear line ${l.slice(0, 200)}`);
      if (h.name.startsWith('include tree')) assert.equal(r.status, 0, r.stderr.slice(0, 2000));
      if (/MB token|MB quoted|cycle|garbage|NUL|nesting/.test(h.name)) assert.equal(r.status, 5, `${h.name}: keepalived counts these\n${r.stderr.slice(0, 500)}`);
      if (/cycle/.test(h.name)) assert.match(r.stderr, /includes itself .*\[E_CONFIG_INCLUDE_LOOP\]/);
      if (/MB token|MB quoted/.test(h.name)) assert.match(r.stderr, /longer than 1000000 - ignored \[E_CONFIG_RANGE\]/);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
