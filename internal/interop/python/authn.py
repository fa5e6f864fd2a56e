"""Authentication scenarios: each attempt is one connection that
authenticates with one method (Autobahn's own authenticators) and reports
its WELCOME or the router's ABORT.

Parameters (--params):
  attempts: [{name, method: anonymous | ticket | wampcra | cryptosign,
              authid, ticket, secret, privkey (hex Ed25519 seed),
              url (default: the scenario's; e.g. with ?token=)}]
"""

from autobahn.wamp.auth import create_authenticator

from harness import Aborted, ScenarioError, check_id


def authenticator_of(attempt):
    method = attempt.get("method", "anonymous")
    kw = {}
    if attempt.get("authid"):
        kw["authid"] = attempt["authid"]
    if method == "anonymous":
        return None
    if method == "ticket":
        kw["ticket"] = attempt["ticket"]
    elif method == "wampcra":
        kw["secret"] = attempt["secret"]
    elif method == "cryptosign":
        kw["privkey"] = attempt["privkey"]
    else:
        raise ScenarioError("unknown method {!r}".format(method))
    return create_authenticator(method, **kw)


async def authenticate(ctx):
    results = {}
    for attempt in ctx.param("attempts", required=True):
        name = attempt["name"]
        try:
            client = await ctx.connect(url=attempt.get("url"), authenticator=authenticator_of(attempt))
        except Aborted as e:
            results[name] = {"aborted": {"reason": e.reason, "message": e.message}}
            continue
        d = client.details
        check_id(d.session, name + " session id")
        results[name] = {"welcome": {"authid": d.authid, "authrole": d.authrole,
                                     "authmethod": d.authmethod, "authprovider": d.authprovider}}
        client.leave()
        await ctx.wait(client.disconnected, "the close of " + name)
    return results


AUTHN = {"authenticate": authenticate}
