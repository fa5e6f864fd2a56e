#!/usr/bin/python3
"""A WAMP v2 bidder with Autobahn|Python, logged in by its PHPSESSID cookie.

usage: bidder.py URL PHPSESSID LOT PRICE [PRICE ...]

Joins realm1 (the node's connect hook asks the PHP app who the cookie is),
subscribes to price/channel, then publishes each bid {"lot": LOT, "price":
PRICE} in turn with acknowledge and without excluding itself, and waits for
the event the bid brings back: the bid itself (with its bidder) when the app
accepted it, false (to this session alone) when it did not. Prints one JSON
object a line: {"welcome": {...}}, then per bid {"published": true} and
{"event": [...]}. Any error ends it with status 1; every wait is bounded.
"""

import asyncio
import json
import sys

import txaio
from autobahn.asyncio.wamp import ApplicationRunner, ApplicationSession
from autobahn.wamp.types import PublishOptions

TIMEOUT = 10.0


def emit(obj):
    print(json.dumps(obj, sort_keys=True), flush=True)


class Bidder(ApplicationSession):
    async def onJoin(self, details):
        lot, prices = self.config.extra["lot"], self.config.extra["prices"]
        emit({"welcome": {"authid": details.authid, "authrole": details.authrole}})
        events = asyncio.Queue()
        await self.subscribe(lambda *args: events.put_nowait(list(args)), "price/channel")
        try:
            for price in prices:
                await asyncio.wait_for(
                    self.publish("price/channel", {"lot": lot, "price": price},
                                 options=PublishOptions(acknowledge=True, exclude_me=False)),
                    TIMEOUT)
                emit({"published": True})
                emit({"event": await asyncio.wait_for(events.get(), TIMEOUT)})
            self.config.extra["failed"] = False
        except Exception as e:
            print("bidder: {!r}".format(e), file=sys.stderr, flush=True)
        self.leave()

    def onDisconnect(self):
        asyncio.get_event_loop().stop()


def main(argv):
    if len(argv) < 5:
        print(__doc__, file=sys.stderr)
        return 2
    url, sid, lot, prices = argv[1], argv[2], int(argv[3]), [float(p) if "." in p else int(p) for p in argv[4:]]
    extra = {"lot": lot, "prices": prices, "failed": True}
    runner = ApplicationRunner(url, "realm1", extra=extra, headers={"Cookie": "PHPSESSID=" + sid})
    txaio.start_logging(out=sys.stderr, level="warn")  # stdout is for the JSON lines
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.call_later(TIMEOUT * (len(prices) + 1), loop.stop)  # bounds the whole run
    runner.run(Bidder)  # until onDisconnect (or the bound) stops the loop
    return 1 if extra["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
