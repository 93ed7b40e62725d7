#!/usr/bin/env node
// The build step's first half: copies the repository's protos (../../proto, or $HRNN_PROTO_DIR)
// into this package's proto/ folder, which the client loads at run time, so that the built
// (or packed) package is self-contained. proto/ is .gitignored: never committed. Outside the
// repository (a packed copy of the package) the copy already there is kept.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const FILES = ['hrnn/v1/recommender.proto', 'grpc/health/v1/health.proto'];
const packageDir = path.resolve(__dirname, '..');
const source = path.resolve(process.env.HRNN_PROTO_DIR || path.join(packageDir, '..', '..', 'proto'));
const target = path.join(packageDir, 'proto');

for (const file of FILES) {
  const from = path.join(source, file);
  const to = path.join(target, file);
  if (!fs.existsSync(from)) {
    if (fs.existsSync(to)) continue;  // A packed package: its copy is the one to use.
    console.error(`hrnn-client build: error: ${from} not found (set HRNN_PROTO_DIR)`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(to), { recursive: true });
  fs.copyFileSync(from, to);
}
console.log(`hrnn-client build: protos copied from ${source} to ${target}`);
