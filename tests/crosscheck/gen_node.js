#!/usr/bin/env node
// Prints a UserSig made by Tencent's official Node library (npm tls-sig-api-v2).
//
// Usage: node gen_node.js SDKAPPID KEY IDENTIFIER EXPIRE_SECS
// The library is found through NODE_PATH (tests/crosscheck/node_modules, installed by scripts/test).
'use strict';

const TLSSigAPIv2 = require('tls-sig-api-v2'); // exports { Api }

const args = process.argv.slice(2);
if (args.length !== 4) {
  process.stderr.write('usage: node gen_node.js SDKAPPID KEY IDENTIFIER EXPIRE_SECS\n');
  process.exit(2);
}
const [sdkappid, key, identifier, expire] = args;
const api = new TLSSigAPIv2.Api(Number(sdkappid), key);
process.stdout.write(api.genUserSig(identifier, Number(expire)) + '\n');
