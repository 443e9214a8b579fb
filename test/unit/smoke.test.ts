import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli';

test('cli: -v prints the version and exits 0', async () => {
  assert.equal(await main(['-v']), 0);
});
