<?php
// POST /publish — the original BiddingTopic::onPublish
// (--hook-publish counter/,price/).
//
// The node sends the publication ("args": [event] for a v1 client) before
// delivering it, and does what the answer says:
//   {"result": {}}                          deliver as is
//   {"result": {"args": [event]}}           deliver this event instead
//   {"result": {"skip": true}}              deliver to nobody
//   {"result": {"skip": true, "reply": {"args": [x]}}}
//                                           deliver to nobody, and send x on
//                                           the same topic to the publisher
//                                           alone: Ratchet's
//                                           $connection->event($topic, x)
//   {"error": {...}}                        refused (v2: ERROR if acknowledged)
// A delivered publication reaches every subscriber on every node of the
// cluster: the node relays it, the app no longer does.

declare(strict_types=1);

return function (object $req): array {
    // The app's own backend publishes through the node's HTTP API
    // (backend/close-lot.php); its publications come through this hook too,
    // as authrole "api", and are trusted.
    if ($req->authrole === 'api') {
        return result();
    }
    $event = $req->args[0] ?? null;
    if (!is_object($event)) {
        return error('app.error.invalid_event', 'an event is a JSON object');
    }
    return match ($req->topic) {
        'counter/channel' => counter($event),
        'price/channel' => price($event, (string) $req->authid),
        default => result(),
    };
};

// counter/channel: {"auction": "spring", "remaining": 30}. Once every lot
// of the auction is sold or withdrawn the auction is finished: the event
// gets a finishUrl and goes to everyone. Otherwise it goes back to the
// publisher alone.
function counter(object $event): array
{
    return with_db(function (object $db) use ($event): array {
        $auction = is_string($event->auction ?? null) ? ($db->auctions->{$event->auction} ?? null) : null;
        if ($auction === null) {
            return [error('app.error.no_such_auction', 'no such auction'), false];
        }
        foreach ($auction->lots as $id) {
            if (!in_array(find_lot($db, $id)->status, ['sold', 'withdrawn'], true)) {
                // Ratchet: $connection->event($topic, $event)
                return [result(['skip' => true, 'reply' => ['args' => [$event]]]), false];
            }
        }
        $event->finishUrl = '/auctions/' . rawurlencode($event->auction) . '/finish';
        return [result(['args' => [$event]]), false];
    });
}

// price/channel: a bid {"lot": 1, "price": 120}. It goes to everyone,
// naming its bidder, when the lot is on bidding and the bid beats the
// current price (which it becomes); otherwise the bidder alone gets false.
function price(object $event, string $bidder): array
{
    return with_db(function (object $db) use ($event, $bidder): array {
        $lot = find_lot($db, $event->lot ?? null);
        $price = $event->price ?? null;
        if ($lot === null || $lot->status !== 'bidding'
            || !(is_int($price) || (is_float($price) && is_finite($price))) || $price <= $lot->price) {
            // Ratchet: $connection->event($topic->getId(), false)
            return [result(['skip' => true, 'reply' => ['args' => [false]]]), false];
        }
        $lot->price = $price;
        $lot->bidder = $bidder;
        $event->bidder = $bidder;
        return [result(['args' => [$event]]), true];
    });
}
