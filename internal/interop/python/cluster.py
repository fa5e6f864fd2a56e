"""Scenarios over a cluster of wampgate processes: the sessions connect to
different nodes (params "urls": {"a": ..., "b": ..., "c": ...}, each a
node of the same pool) and the Go test may act on the nodes between a
scenario's "ready" line and its result (kill one).

Waits for something to spread across the cluster poll with a bound
(attempts and time) and report what they saw; the Go test asserts it.
"""

import asyncio
import time

from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallOptions, CallResult, PublishOptions, RegisterOptions, SubscribeOptions

from harness import ScenarioError, check_id, plain, result_of
from scenarios import call_error, register_error

# Poll bounds: an attempt every POLL_INTERVAL seconds, at most POLL_ATTEMPTS.
POLL_INTERVAL = 0.01
POLL_ATTEMPTS = 500


def node_url(ctx, name):
    urls = ctx.param("urls", required=True)
    if name not in urls:
        raise ScenarioError("no URL for node {!r} in params urls".format(name))
    return urls[name]


async def connect_to(ctx, name):
    return await ctx.connect(url=node_url(ctx, name))


async def poll_call(ctx, client, procedure, want_error, what):
    """Calls procedure until it fails with want_error (bounded); returns
    the outcomes seen before, the final one and the seconds it took."""
    start = time.monotonic()
    seen = []
    for _ in range(POLL_ATTEMPTS):
        try:
            res = await ctx.wait(client.call(procedure), what)
            outcome = {"result": result_of(res)}
        except ApplicationError as e:
            outcome = {"error": e.error}
        if outcome.get("error") == want_error:
            return {"before": seen, "final": outcome, "seconds": time.monotonic() - start}
        if not seen or seen[-1] != outcome:
            seen.append(outcome)
        await asyncio.sleep(POLL_INTERVAL)
    return {"before": seen, "final": None, "seconds": time.monotonic() - start}


def serving(ctx, ended):
    """The callee's procedures: echo, countdown (progressive results) and
    slow (a progressive "started", then runs until interrupted: ended gets
    "interrupted")."""

    def echo(*args, **kwargs):
        return CallResult(*args, **kwargs)

    async def countdown(n, details=None):
        for i in range(n, 0, -1):
            details.progress(i)
        return "liftoff"

    async def slow(details=None):
        if details.progress:
            details.progress("started")
        try:
            await asyncio.sleep(ctx.timeout)
        except asyncio.CancelledError:
            if not ended.done():
                ended.set_result("interrupted")
            raise
        if not ended.done():
            ended.set_result("finished")
        return "finished"

    detailed = RegisterOptions(details_arg="details")
    return (("echo", echo, None), ("countdown", countdown, detailed), ("slow", slow, detailed))


async def register_all(ctx, client, base, procedures):
    regs = {}
    for name, fn, opts in procedures:
        reg = await ctx.wait(client.register(fn, base + "." + name, options=opts), "REGISTERED for " + name)
        regs[name] = check_id(reg.id, name + " registration id")
    return regs


async def cluster_rpc(ctx):
    """A callee on node a, its caller on node c: args and kwargs, progressive
    results, a cancel once the callee runs; the same REGISTER on node b
    refused; the callee's session closed, then calls from node b until
    no_such_procedure."""
    base = ctx.param("prefix", required=True) + ".rpc"
    loop = asyncio.get_running_loop()
    ended = loop.create_future()
    callee = await connect_to(ctx, "a")
    await register_all(ctx, callee, base, serving(ctx, ended))
    caller = await connect_to(ctx, "c")
    other = await connect_to(ctx, "b")

    out = {}
    out["echo"] = result_of(await ctx.wait(caller.call(base + ".echo", 1, "two", {"three": 3}, k="v"),
                                           "RESULT of echo across nodes"))
    progress = []
    res = await ctx.wait(caller.call(base + ".countdown", 3, options=CallOptions(on_progress=progress.append)),
                         "RESULT of countdown across nodes")
    out["countdown"] = {"progress": plain(progress), "result": result_of(res)}

    started = loop.create_future()

    def on_progress(v):
        if not started.done():
            started.set_result(v)
    call = caller.call(base + ".slow", options=CallOptions(on_progress=on_progress))
    out["cancel"] = {"progress": await ctx.wait(started, "the first progressive result of slow")}
    call.cancel()
    out["cancel"]["callee"] = await ctx.wait(ended, "the INTERRUPT of the canceled call on node a")
    out["after_cancel"] = result_of(await ctx.wait(caller.call(base + ".echo", "still"), "RESULT after the cancel"))

    out["duplicate"] = await register_error(ctx, other.register(lambda: None, base + ".echo"),
                                            "ERROR of the same REGISTER on node b")

    callee.stay_connected = True
    callee.leave()
    await ctx.wait(callee.left, "GOODBYE reply to the callee's GOODBYE")
    out["after_leave"] = await poll_call(ctx, other, base + ".echo", "wamp.error.no_such_procedure",
                                         "a call from node b after the callee left")
    return out


async def cluster_kill(ctx):
    """A callee on node a, a call from node c waiting on it: ready once the
    callee runs it (the Go test then kills node a); then the pending call's
    error, and new calls from nodes c and b until no_such_procedure."""
    base = ctx.param("prefix", required=True) + ".kill"
    loop = asyncio.get_running_loop()
    callee = await connect_to(ctx, "a")
    await register_all(ctx, callee, base, serving(ctx, loop.create_future()))
    caller = await connect_to(ctx, "c")
    other = await connect_to(ctx, "b")
    out = {"echo": result_of(await ctx.wait(caller.call(base + ".echo", "before"), "RESULT of echo before the kill"))}

    started = loop.create_future()

    def on_progress(v):
        if not started.done():
            started.set_result(v)
    pending = caller.call(base + ".slow", options=CallOptions(on_progress=on_progress))
    out["progress"] = await ctx.wait(started, "the first progressive result of slow")
    ctx.ready(callee=check_id(callee.details.session, "callee session id"))
    out["pending"] = await call_error(ctx, pending, "ERROR of the call pending on the killed node")
    out["after_c"] = await poll_call(ctx, caller, base + ".echo", "wamp.error.no_such_procedure",
                                     "a new call from node c")
    out["after_b"] = await poll_call(ctx, other, base + ".echo", "wamp.error.no_such_procedure",
                                     "a new call from node b")
    return out


async def cluster_subscribe_race(ctx):
    """rounds times: a session on node a subscribes to a new topic; as soon
    as SUBSCRIBED came, a session on node b publishes to it (acknowledged);
    the event must reach node a's session. Reports the rounds whose event
    did not come within the bound."""
    base = ctx.param("prefix", required=True) + ".race"
    rounds = int(ctx.param("rounds", required=True))
    bound = float(ctx.param("event_bound", 5))
    sub_client = await connect_to(ctx, "a")
    pub_client = await connect_to(ctx, "b")
    loop = asyncio.get_running_loop()
    lost, received = [], 0
    for i in range(rounds):
        topic = "{}.{}".format(base, i)
        got = loop.create_future()

        def on_event(n, got=got):
            if not got.done():
                got.set_result(n)
        sub = await ctx.wait(sub_client.subscribe(on_event, topic, options=SubscribeOptions()),
                             "SUBSCRIBED for round {}".format(i))
        await ctx.wait(pub_client.publish(topic, i, options=PublishOptions(acknowledge=True)),
                       "PUBLISHED for round {}".format(i))
        try:
            n = await asyncio.wait_for(asyncio.shield(got), bound)
        except asyncio.TimeoutError:
            lost.append(i)
        else:
            if n != i:
                raise ScenarioError("round {}: event {!r}".format(i, n))
            received += 1
        await ctx.wait(sub.unsubscribe(), "UNSUBSCRIBED for round {}".format(i))
    return {"received": received, "lost": lost}


CLUSTER = {
    "cluster-rpc": cluster_rpc,
    "cluster-kill": cluster_kill,
    "cluster-subscribe-race": cluster_subscribe_race,
}
