#!/usr/bin/python3
"""Runs one WAMP v2 scenario with Autobahn|Python (asyncio) and prints what it observed.

usage: wampclient.py URL REALM SERIALIZER SCENARIO [--params JSON] [--timeout SECONDS]

SERIALIZER is json, msgpack or cbor. Output on stdout, one JSON object per
line: zero or more {"ready": {...}} lines (the scenario may now be acted
upon by the driving test), then one {"result": {...}} line. Any unexpected
exception ends the process with a message on stderr and exit status 1;
bad arguments exit with status 2.
"""

import argparse
import asyncio
import json
import sys
import traceback

import authn
import cluster
import harness
import roles
import scenarios

SCENARIOS = {**scenarios.SCENARIOS, **roles.ROLES, **authn.AUTHN, **cluster.CLUSTER}


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="wampclient.py", description="Autobahn|Python interop scenario")
    p.add_argument("url")
    p.add_argument("realm")
    p.add_argument("serializer", choices=sorted(harness.SERIALIZERS))
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--params", default="{}", help="scenario parameters, a JSON object")
    p.add_argument("--timeout", type=float, default=10.0, help="bound of every wait, seconds")
    args = p.parse_args(argv)
    try:
        args.params = json.loads(args.params)
    except ValueError as e:
        p.error("--params is not JSON: {}".format(e))
    if not isinstance(args.params, dict):
        p.error("--params must be a JSON object")
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    return args


async def run(args):
    ctx = harness.Context(args.url, args.realm, args.serializer, args.params, args.timeout, emit)
    try:
        return await SCENARIOS[args.scenario](ctx)
    finally:
        await ctx.close_all()


def main(argv):
    args = parse_args(argv)
    try:
        result = asyncio.run(run(args))
    except Exception as e:  # noqa: BLE001 -- every failure must end the process visibly
        sys.stderr.write("wampclient.py: scenario {} ({}) failed: {}: {}\n".format(
            args.scenario, args.serializer, type(e).__name__, e))
        if not isinstance(e, harness.ScenarioError):
            traceback.print_exc(file=sys.stderr)
        return 1
    emit({"result": result})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
