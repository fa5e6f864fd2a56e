"""Self-contained scenarios: every session they need lives in this process.

Each returns a dict of what it observed; the Go test asserts exact values.
"""

import asyncio

from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallOptions, CallResult, PublishOptions, RegisterOptions, SubscribeOptions

from harness import Aborted, Collector, ScenarioError, check_id, event_of, plain, result_of, router_roles


def describe(client):
    d = client.details
    return {
        "session": check_id(d.session, "WELCOME session id"),
        "realm": d.realm,
        "authid": d.authid,
        "authrole": d.authrole,
        "authmethod": d.authmethod,
        "roles": router_roles(client),
    }


async def join(ctx):
    """HELLO/WELCOME, GOODBYE from the client, a new HELLO on the same
    connection, GOODBYE again. A refused realm reports the ABORT."""
    try:
        client = await ctx.connect()
    except Aborted as e:
        return {"aborted": {"reason": e.reason, "message": e.message}}
    client.stay_connected = True
    first = describe(client)
    client.leave()
    first_leave = await ctx.wait(client.left, "GOODBYE reply to the first GOODBYE")
    client.expect_new_session()
    client.join(ctx.realm)
    await ctx.wait(client.joined, "WELCOME to the second HELLO on the same connection")
    second = describe(client)
    client.stay_connected = False
    client.leave()
    second_leave = await ctx.wait(client.left, "GOODBYE reply to the second GOODBYE")
    await ctx.wait(client.disconnected, "the close of the connection")
    return {
        "first": first,
        "first_goodbye": first_leave.reason,
        "second": second,
        "second_goodbye": second_leave.reason,
    }


async def await_goodbye(ctx):
    """Joins, reports ready, then waits for the router's GOODBYE."""
    client = await ctx.connect()
    ctx.ready(session=describe(client)["session"])
    left = await ctx.wait(client.left, "a GOODBYE from the router")
    await ctx.wait(client.disconnected, "the close of the connection")
    return {"reason": left.reason, "message": left.message}


def event_recorder(collector, end_marker):
    def on_event(*args, **kwargs):
        details = kwargs.pop("details")
        collector.add(event_of(args, kwargs, details), last=bool(args) and args[0] == end_marker)
    return on_event


async def pubsub(ctx):
    """Acknowledged publications, exclude_me (default and false),
    exclude and eligible by session id; all sessions here."""
    topic = ctx.param("prefix", required=True) + ".pubsub"
    names = ("sub1", "sub2", "pub")
    clients = {n: await ctx.connect() for n in names}
    sessions = {n: check_id(c.details.session, n + " session id") for n, c in clients.items()}
    collectors, subscriptions = {}, {}
    for n in names:
        collectors[n] = Collector()
        sub = await ctx.wait(clients[n].subscribe(
            event_recorder(collectors[n], "end"), topic, options=SubscribeOptions(details_arg="details")),
            "SUBSCRIBED for " + n)
        subscriptions[n] = sub.id
    steps = [
        ("default", PublishOptions(acknowledge=True)),
        ("exclude_me_false", PublishOptions(acknowledge=True, exclude_me=False)),
        ("exclude_sub1", PublishOptions(acknowledge=True, exclude=[sessions["sub1"]])),
        ("eligible_sub1", PublishOptions(acknowledge=True, eligible=[sessions["sub1"]])),
        ("retain", PublishOptions(acknowledge=True, retain=True)),
        ("end", PublishOptions(acknowledge=True, exclude_me=False)),
    ]
    published = {}
    for i, (name, options) in enumerate(steps):
        pub = await ctx.wait(clients["pub"].publish(topic, name, i, step=i, options=options),
                             "PUBLISHED for " + name)
        published[name] = check_id(pub.id, "publication id of " + name)
    events = {}
    for n in names:
        events[n] = await ctx.wait(collectors[n].done, "the end event at " + n)
    # A late subscriber asking for the retained event gets it at once.
    late = await ctx.connect()
    sessions["late"] = check_id(late.details.session, "late session id")
    collectors["late"] = Collector(count=1)
    sub = await ctx.wait(late.subscribe(
        event_recorder(collectors["late"], None), topic,
        options=SubscribeOptions(get_retained=True, details_arg="details")), "SUBSCRIBED for late")
    subscriptions["late"] = sub.id
    events["late"] = await ctx.wait(collectors["late"].done, "the retained event at late")
    return {"sessions": sessions, "subscriptions": subscriptions, "published": published, "events": events}


async def patterns(ctx):
    """Exact, prefix and wildcard subscriptions of one session; EVENT
    details carry the concrete topic for the pattern ones."""
    base = ctx.param("prefix", required=True) + ".pat"
    sub = await ctx.connect()
    pub = await ctx.connect()
    specs = {
        "exact": (base + ".a.x", None),
        "prefix": (base + ".a", "prefix"),
        "wildcard": (base + "..x", "wildcard"),
    }
    collectors, subscriptions = {}, {}
    for name, (uri, match) in specs.items():
        collectors[name] = Collector()
        s = await ctx.wait(sub.subscribe(
            event_recorder(collectors[name], "end"), uri, options=SubscribeOptions(match=match, details_arg="details")),
            "SUBSCRIBED for " + name)
        subscriptions[name] = s.id
    published = {}
    for suffix, marker in ((".a.1", "a1"), (".b.x", "bx"), (".c.y", "cy"), (".ab", "ab"), (".a.x", "end")):
        p = await ctx.wait(pub.publish(base + suffix, marker, options=PublishOptions(acknowledge=True)),
                           "PUBLISHED to " + base + suffix)
        published[marker] = check_id(p.id, "publication id of " + marker)
    events = {}
    for name in specs:
        events[name] = await ctx.wait(collectors[name].done, "the end event on the " + name + " subscription")
    return {"base": base, "subscriptions": subscriptions, "published": published, "events": events}


async def rpc(ctx):
    """Calls with args/kwargs, application and router errors, progressive
    results, a call timeout and a cancel, callee and caller here."""
    base = ctx.param("prefix", required=True) + ".rpc"
    callee = await ctx.connect()
    caller = await ctx.connect()
    loop = asyncio.get_running_loop()
    slow_ended = {"timeout": loop.create_future(), "cancel": loop.create_future()}

    def echo(*args, **kwargs):
        return CallResult(*args, **kwargs)

    def add(a, b):
        return a + b

    def fail(*args, **kwargs):
        raise ApplicationError("com.example.error.bad_input", "bad input", 7, field="x")

    async def countdown(n, details=None):
        for i in range(n, 0, -1):
            details.progress(i)
        return "liftoff"

    async def slow(tag, details=None):
        # Runs until the router interrupts it (timeout or cancel); the
        # scenario's own bound ends it otherwise.
        if details.progress:
            details.progress("started")
        try:
            await asyncio.sleep(ctx.timeout)
        except asyncio.CancelledError:
            slow_ended[tag].set_result("interrupted")
            raise
        slow_ended[tag].set_result("finished")
        return "finished"

    registrations = {}
    for name, fn, opts in (
        ("echo", echo, None),
        ("add", add, None),
        ("fail", fail, None),
        ("countdown", countdown, RegisterOptions(details_arg="details")),
        ("slow", slow, RegisterOptions(details_arg="details")),
    ):
        reg = await ctx.wait(callee.register(fn, base + "." + name, options=opts), "REGISTERED for " + name)
        registrations[name] = reg.id

    out = {"registrations": registrations}
    res = await ctx.wait(caller.call(base + ".echo", 1, "two", {"three": 3}, [4], k="v"), "RESULT of echo")
    out["echo"] = result_of(res)
    out["add"] = result_of(await ctx.wait(caller.call(base + ".add", 2, 3), "RESULT of add"))
    out["fail"] = await call_error(ctx, caller.call(base + ".fail", "why"), "ERROR of fail")
    out["missing"] = await call_error(ctx, caller.call(base + ".missing"), "ERROR of a call to nothing")
    out["duplicate"] = await register_error(ctx, caller.register(add, base + ".add"), "ERROR of a second REGISTER")

    progress = []
    res = await ctx.wait(caller.call(base + ".countdown", 3, options=CallOptions(on_progress=progress.append)),
                         "RESULT of countdown")
    out["countdown"] = {"progress": plain(progress), "result": result_of(res)}

    # Call timeout: Autobahn|Python sends CallOptions.timeout as given; the
    # WAMP spec counts it in milliseconds.
    timeout_ms = int(ctx.param("call_timeout_ms", 300))
    call = caller.call(base + ".slow", "timeout", options=CallOptions(timeout=timeout_ms))
    out["timeout"] = await call_error(ctx, call, "ERROR of a call past its timeout")
    out["timeout"]["callee"] = await ctx.wait(slow_ended["timeout"], "the INTERRUPT of the timed-out call")

    # Cancel: Autobahn|Python's cancel sends CANCEL without a mode (the
    # router's default applies); cancel once the callee runs.
    started_progress = loop.create_future()

    def on_progress(v):
        if not started_progress.done():
            started_progress.set_result(v)
    call = caller.call(base + ".slow", "cancel", options=CallOptions(on_progress=on_progress))
    out["cancel"] = {"progress": await ctx.wait(started_progress, "the first progressive result of slow")}
    call.cancel()
    out["cancel"]["callee"] = await ctx.wait(slow_ended["cancel"], "the INTERRUPT of the canceled call")
    # The router still serves this caller and callee.
    out["after"] = result_of(await ctx.wait(caller.call(base + ".add", 20, 22), "RESULT of add after the cancel"))
    return out


async def call_error(ctx, call, what):
    try:
        res = await ctx.wait(call, what)
    except ApplicationError as e:
        return {"error": e.error, "args": plain(list(e.args)), "kwargs": plain(e.kwargs or {})}
    raise ScenarioError("{}: got a result instead: {!r}".format(what, res))


async def register_error(ctx, register, what):
    try:
        reg = await ctx.wait(register, what)
    except ApplicationError as e:
        return {"error": e.error}
    raise ScenarioError("{}: registered instead (id {})".format(what, reg.id))


SCENARIOS = {
    "join": join,
    "await-goodbye": await_goodbye,
    "pubsub": pubsub,
    "patterns": patterns,
    "rpc": rpc,
}
