import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfig, configTestExitCode } from '../../src/config';
import { GOLDEN_DIR, ROOT, configFiles, configIdOf, goldenPathOf, normalizedModel } from '../helpers/config-golden';

// Golden tests pin the typed model of every example and every keepalived.conf(5) snippet.
// Regenerate with UPDATE_GOLDEN=1 after an intended model change, and review the diff.
test('the golden set holds the examples and the keepalived.conf(5) snippets of every block kind', () => {
  const names = configFiles().map((f) => path.basename(f));
  for (const n of ['global-defs.conf', 'linkbeat-track-group.conf', 'static.conf', 'vrrp-script.conf', 'sync-group.conf', 'vrrp-instance.conf',
    'track-file.conf', 'track-process.conf', 'bfd-instance.conf', 'garp-group.conf', 'lvs.conf', 'lvs-checkers.conf', 'multiline-nested.conf']) {
    assert.ok(names.includes(n), `${n} is in the golden set`);
  }
});

for (const file of configFiles()) {
  const rel = path.relative(ROOT, file);
  test(`golden model: ${rel}`, () => {
    const r = parseConfig(file, { configId: configIdOf(file), checkInterfaces: false, checkScripts: false });
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), [], `${rel} must parse without errors`);
    assert.ok([0, 5].includes(configTestExitCode(r)), 'no error; warnings count as keepalived counts them (config-differential pins the exit codes)');
    const g = goldenPathOf(file);
    const got = normalizedModel(r.config);
    if (process.env.UPDATE_GOLDEN === '1') {
      fs.mkdirSync(GOLDEN_DIR, { recursive: true });
      fs.writeFileSync(g, got);
    }
    assert.ok(fs.existsSync(g), `missing golden file ${g}; run with UPDATE_GOLDEN=1`);
    assert.equal(got, fs.readFileSync(g, 'utf8'));
  });
}
