#!/usr/bin/env node
'use strict';
// Placeholder until the AF_PACKET addon exists; kept so `npm run build` has one shape.
