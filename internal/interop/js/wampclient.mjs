#!/usr/bin/node
// Runs one WAMP v2 scenario with Autobahn|JS (on ws) and prints what it observed.
//
// usage: wampclient.mjs URL REALM SERIALIZER SCENARIO [--params JSON] [--timeout SECONDS]
//
// SERIALIZER is json, msgpack or cbor. Output on stdout, one JSON object per
// line: zero or more {"ready": {...}} lines, then one {"result": {...}}
// line. Any unexpected exception ends the process with a message on stderr
// and exit status 1; bad arguments exit with status 2.

import { parseArgs } from 'node:util';
import { Context, SERIALIZERS, ScenarioError } from './harness.mjs';
import { AUTHN } from './authn.mjs';
import { ROLES } from './roles.mjs';
import { SCENARIOS } from './scenarios.mjs';

const ALL = { ...SCENARIOS, ...ROLES, ...AUTHN };
const USAGE = 'usage: wampclient.mjs URL REALM SERIALIZER SCENARIO [--params JSON] [--timeout SECONDS]\n'
  + `  SERIALIZER: ${Object.keys(SERIALIZERS).join(', ')}\n  SCENARIO: ${Object.keys(ALL).sort().join(', ')}\n`;

function usage(msg) {
  process.stderr.write(`wampclient.mjs: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parse(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { params: { type: 'string' }, timeout: { type: 'string' } } });
  } catch (e) {
    usage(e.message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 4) usage(`want 4 arguments, got ${positionals.length}`);
  const [url, realm, serializer, scenario] = positionals;
  if (!(serializer in SERIALIZERS)) usage(`unknown serializer ${JSON.stringify(serializer)}`);
  if (!Object.prototype.hasOwnProperty.call(ALL, scenario)) usage(`unknown scenario ${JSON.stringify(scenario)}`);
  let params = {};
  if (values.params !== undefined) {
    try {
      params = JSON.parse(values.params);
    } catch (e) {
      usage(`--params is not JSON: ${e.message}`);
    }
    if (params === null || typeof params !== 'object' || Array.isArray(params)) usage('--params must be a JSON object');
  }
  const timeout = values.timeout === undefined ? 10 : Number(values.timeout);
  if (!(timeout > 0)) usage('--timeout must be positive');
  return { url, realm, serializer, scenario, params, timeout };
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// Flushes stdout, then exits (pending timers and sockets must not keep the
// process alive, nor may exit cut the output short).
function exit(code) {
  process.stdout.write('', () => process.exit(code));
}

async function main() {
  const args = parse(process.argv.slice(2));
  const ctx = new Context({ ...args, emit });
  let result;
  try {
    result = await ALL[args.scenario](ctx);
  } catch (e) {
    process.stderr.write(`wampclient.mjs: scenario ${args.scenario} (${args.serializer}) failed: `
      + `${e instanceof ScenarioError ? e.message : (e && e.stack) || JSON.stringify(e)}\n`);
    await ctx.closeAll();
    exit(1);
    return;
  }
  await ctx.closeAll();
  emit({ result });
  exit(0);
}

process.on('unhandledRejection', (e) => {
  process.stderr.write(`wampclient.mjs: unhandled rejection: ${(e && e.stack) || JSON.stringify(e)}\n`);
  exit(1);
});

main();
