#!/usr/bin/env node
// Prints the OPTIONS section of keepalived-ts(8) (roff), generated from the option table in src/options.ts.
// Usage: npm run build && node scripts/man-options.js > OPTIONS.roff
'use strict';
const path = require('node:path');
const { manOptionsSection } = require(path.join(__dirname, '..', 'dist', 'src', 'options.js'));
process.stdout.write(manOptionsSection());
