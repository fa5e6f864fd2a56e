"""Sessions, bounded waits and output values for the Autobahn|Python scenarios.

Every wait here is bounded by the scenario's timeout; a session that never
gets its WELCOME, an event that never comes or a connection the server
refuses ends the scenario with a ScenarioError naming what was awaited.
"""

import asyncio
import base64

from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession
from autobahn.wamp.types import CallResult
from autobahn.wamp.serializer import CBORSerializer, JsonSerializer, MsgPackSerializer

SERIALIZERS = {
    "json": JsonSerializer,
    "msgpack": MsgPackSerializer,
    "cbor": CBORSerializer,
}

# Session ids, publication ids, ...: WAMP ids are integers in [1, 2^53].
MAX_ID = 2 ** 53


class ScenarioError(Exception):
    """Something the scenario needed did not happen (or happened wrongly)."""


class Aborted(Exception):
    """The router answered HELLO with ABORT."""

    def __init__(self, reason, message):
        super().__init__("ABORT {}: {}".format(reason, message))
        self.reason = reason
        self.message = message


async def bounded(awaitable, timeout, what):
    """Awaits with a deadline; a timeout becomes a ScenarioError naming what."""
    try:
        return await asyncio.wait_for(awaitable, timeout)
    except asyncio.TimeoutError:
        raise ScenarioError("timed out after {}s waiting for {}".format(timeout, what)) from None


class Client(ApplicationSession):
    """An ApplicationSession whose life cycle can be awaited.

    joined/left/disconnected are futures replaced on each (re)join; the
    transport stays open after a GOODBYE when stay_connected is set, so the
    same connection can send a new HELLO.
    """

    def __init__(self, config):
        super().__init__(config)
        loop = asyncio.get_running_loop()
        self.joined = loop.create_future()
        self.left = loop.create_future()
        self.disconnected = loop.create_future()
        self.stay_connected = False
        self.details = None
        # An autobahn.wamp.auth authenticator (ticket, wampcra,
        # cryptosign), set by Context.connect before the HELLO; None:
        # HELLO offers no authmethods.
        self.authenticator = None

    def onConnect(self):
        a = self.authenticator
        if a is None:
            return super().onConnect()
        self.join(self.config.realm, authmethods=[a.name], authid=a._args.get("authid"),
                  authextra=a.authextra or None)
        return None

    def onChallenge(self, challenge):
        if self.authenticator is None:
            raise ScenarioError("CHALLENGE {} without an authenticator".format(challenge.method))
        return self.authenticator.on_challenge(self, challenge)

    async def onJoin(self, details):
        self.details = details
        if not self.joined.done():
            self.joined.set_result(details)

    def onLeave(self, details):
        if not self.joined.done():
            self.joined.set_exception(Aborted(details.reason, details.message))
        if not self.left.done():
            self.left.set_result(details)
        if not self.stay_connected:
            # Outstanding requests fail, then the transport closes, as in
            # ApplicationSession.onLeave.
            return super().onLeave(details)
        return None

    def onDisconnect(self):
        super().onDisconnect()
        if not self.joined.done():
            self.joined.set_exception(ScenarioError("transport closed before WELCOME"))
        if not self.disconnected.done():
            self.disconnected.set_result(True)

    def expect_new_session(self):
        """Prepares the futures for a new HELLO on the same connection."""
        loop = asyncio.get_running_loop()
        self.joined = loop.create_future()
        self.left = loop.create_future()


class Context:
    """What a scenario gets: where to connect, its parameters, how long to wait."""

    def __init__(self, url, realm, serializer, params, timeout, emit):
        self.url = url
        self.realm = realm
        self.serializer = serializer
        self.params = params
        self.timeout = timeout
        self._emit = emit
        self._clients = []

    def param(self, name, default=None, required=False):
        if name in self.params:
            return self.params[name]
        if required:
            raise ScenarioError("missing parameter {!r}".format(name))
        return default

    def ready(self, **info):
        """Tells the driving test that the scenario may be acted upon."""
        self._emit({"ready": info})

    async def wait(self, awaitable, what):
        return await bounded(awaitable, self.timeout, what)

    async def connect(self, serializer=None, realm=None, cls=Client, url=None, authenticator=None):
        """Opens a WebSocket connection through ApplicationRunner (to url,
        default the scenario's; authenticating with authenticator, if
        any) and waits for WELCOME (or raises Aborted / ScenarioError)."""
        ser = SERIALIZERS[serializer or self.serializer]()
        runner = ApplicationRunner(url or self.url, realm or self.realm, serializers=[ser])
        # The session object is made only once the WebSocket opening
        # handshake succeeded; until then, watch the protocol for a close.
        opened = asyncio.get_running_loop().create_future()

        def make(cfg):
            client = cls(cfg)
            client.authenticator = authenticator
            self._clients.append(client)
            if not opened.done():
                opened.set_result(client)
            return client

        _, protocol = await self.wait(runner.run(make, start_loop=False), "the TCP connection")
        # (is_closed belongs to the protocol: wait on it, never cancel it.)
        done, _ = await self.wait(
            asyncio.wait([opened, protocol.is_closed], return_when=asyncio.FIRST_COMPLETED), "the WebSocket handshake")
        if opened not in done:
            reason = getattr(protocol, "wasNotCleanReason", None) or "closed by the server"
            raise ScenarioError("WebSocket connection to {} failed: {}".format(self.url, reason))
        client = opened.result()
        await self.wait(asyncio.shield(client.joined), "WELCOME")
        return client

    async def close_all(self):
        """Disconnects every client still connected (best effort, bounded)."""
        for client in self._clients:
            if client.is_attached():
                client.stay_connected = False
                client.leave()
            elif client._transport is not None:
                client.disconnect()
        for client in self._clients:
            try:
                await bounded(asyncio.shield(client.disconnected), self.timeout, "disconnect")
            except ScenarioError:
                pass


def check_id(value, what):
    """Returns value if it is a WAMP id (integer in [1, 2^53]), else raises."""
    if type(value) is not int or not 1 <= value <= MAX_ID:
        raise ScenarioError("{} is not a WAMP id: {!r}".format(what, value))
    return value


def plain(value):
    """A JSON-printable copy of a received value; bytes become {"bytes_b64": ...}."""
    if isinstance(value, (bytes, bytearray)):
        return {"bytes_b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def wire(value):
    """The inverse of plain for values given as parameters."""
    if isinstance(value, dict):
        if set(value) == {"bytes_b64"}:
            return base64.b64decode(value["bytes_b64"])
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value


def result_of(res):
    """A call's outcome: Autobahn gives a CallResult for several args or any
    kwargs, else the single value (None for none); keep that visible."""
    if isinstance(res, CallResult):
        return {"args": plain(list(res.results)), "kwargs": plain(res.kwresults)}
    return {"value": plain(res)}


def event_of(args, kwargs, details):
    """An event as the scenarios report it."""
    return {
        "args": plain(list(args)),
        "kwargs": plain(kwargs),
        "publication": details.publication,
        "publisher": details.publisher,
        "topic": details.topic,
        "retained": bool(details.retained),
    }


def router_roles(client):
    """The features the router announced in WELCOME, per role, sorted.

    Autobahn keeps them parsed in _router_roles; only features announced as
    true are listed."""
    roles = {}
    for name, features in sorted(client._router_roles.items()):
        roles[name] = sorted(k for k, v in vars(features).items() if v is True)
    return roles


class Collector:
    """Collects events (or anything) until a count is reached."""

    def __init__(self, count=None, until=None):
        self.items = []
        self.count = count
        self.until = until
        self.done = asyncio.get_running_loop().create_future()

    def add(self, item, last=False):
        self.items.append(item)
        if self.done.done():
            return
        if last or (self.count is not None and len(self.items) >= self.count):
            self.done.set_result(self.items)
