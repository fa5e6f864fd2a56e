"""One-sided roles for scenarios that span processes (another library, or
wampgate's own v1 client in the Go test): subscribe, publish, callee, call.

Parameters (--params):
  subscribe: topic, match (optional), count -- ready after SUBSCRIBED, then
             waits for count events.
  publish:   topic, publications: [{args, kwargs, options}] -- each
             acknowledged; values {"bytes_b64": ...} are sent as bytes.
  callee:    procedures: {uri: {"result": {args, kwargs}} | {"error": {uri,
             args, kwargs}} | {"wait_interrupt": true}}, count -- ready after
             REGISTERED, then serves count invocations.
  call:      calls: [{procedure, args, kwargs, options ({"timeout": ms,
             "receive_progress": true})}], made one after the other.
"""

import asyncio

from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallOptions, CallResult, PublishOptions, RegisterOptions, SubscribeOptions

from harness import Collector, ScenarioError, check_id, event_of, plain, result_of, wire


async def subscribe(ctx):
    topic = ctx.param("topic", required=True)
    count = int(ctx.param("count", required=True))
    client = await ctx.connect()
    collector = Collector(count=count)

    def on_event(*args, **kwargs):
        details = kwargs.pop("details")
        collector.add(event_of(args, kwargs, details))

    sub = await ctx.wait(client.subscribe(on_event, topic, options=SubscribeOptions(
        match=ctx.param("match"), details_arg="details")), "SUBSCRIBED")
    session = check_id(client.details.session, "session id")
    ctx.ready(session=session, subscription=sub.id)
    events = await ctx.wait(collector.done, "{} event(s) on {}".format(count, topic))
    return {"session": session, "subscription": sub.id, "events": events}


async def publish(ctx):
    topic = ctx.param("topic", required=True)
    client = await ctx.connect()
    published = []
    for i, p in enumerate(ctx.param("publications", required=True)):
        options = dict(p.get("options") or {})
        options["acknowledge"] = True
        args = wire(p.get("args") or [])
        kwargs = wire(p.get("kwargs") or {})
        pub = await ctx.wait(client.publish(topic, *args, options=PublishOptions(**options), **kwargs),
                             "PUBLISHED for publication {}".format(i))
        published.append(check_id(pub.id, "publication id"))
    return {"session": check_id(client.details.session, "session id"), "published": published}


async def callee(ctx):
    procedures = ctx.param("procedures", required=True)
    count = int(ctx.param("count", required=True))
    client = await ctx.connect()
    served = Collector(count=count)

    def endpoint(uri, spec):
        async def invoked(*args, **kwargs):
            details = kwargs.pop("details")
            seen = {"procedure": uri, "args": plain(list(args)), "kwargs": plain(kwargs), "caller": details.caller}
            if "result" in spec:
                seen["outcome"] = "result"
                served.add(seen)
                r = spec["result"]
                return CallResult(*wire(r.get("args") or []), **wire(r.get("kwargs") or {}))
            if "error" in spec:
                seen["outcome"] = "error"
                served.add(seen)
                e = spec["error"]
                raise ApplicationError(e["uri"], *wire(e.get("args") or []), **wire(e.get("kwargs") or {}))
            if details.progress:
                details.progress("started")
            try:
                await asyncio.sleep(ctx.timeout)
            except asyncio.CancelledError:
                # The router sent INTERRUPT: answer it as the spec asks.
                seen["outcome"] = "interrupted"
                served.add(seen)
                raise ApplicationError(ApplicationError.CANCELED, "interrupted") from None
            raise ScenarioError("no INTERRUPT for {} within {}s".format(uri, ctx.timeout))
        return invoked

    registrations = {}
    for uri, spec in procedures.items():
        reg = await ctx.wait(client.register(endpoint(uri, spec), uri, options=RegisterOptions(details_arg="details")),
                             "REGISTERED for " + uri)
        registrations[uri] = reg.id
    session = check_id(client.details.session, "session id")
    ctx.ready(session=session, registrations=registrations)
    invocations = await ctx.wait(served.done, "{} invocation(s)".format(count))
    return {"session": session, "invocations": invocations}


async def call(ctx):
    calls = ctx.param("calls", required=True)
    client = await ctx.connect()
    out = []
    for i, spec in enumerate(calls):
        opts = spec.get("options") or {}
        progress = []
        options = CallOptions(
            timeout=opts.get("timeout"),
            on_progress=progress.append if opts.get("receive_progress") else None)
        args = wire(spec.get("args") or [])
        kwargs = wire(spec.get("kwargs") or {})
        seen = {}
        try:
            res = await ctx.wait(client.call(spec["procedure"], *args, options=options, **kwargs),
                                 "the answer to call {} ({})".format(i, spec["procedure"]))
        except ApplicationError as e:
            seen["error"] = {"error": e.error, "args": plain(list(e.args)), "kwargs": plain(e.kwargs or {})}
        else:
            seen["result"] = result_of(res)
        seen["progress"] = plain(progress)
        out.append(seen)
    return {"session": check_id(client.details.session, "session id"), "calls": out}


ROLES = {
    "subscribe": subscribe,
    "publish": publish,
    "callee": callee,
    "call": call,
}
