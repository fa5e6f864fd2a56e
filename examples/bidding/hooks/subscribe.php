<?php
// POST /subscribe — may this session subscribe to this topic?
//
// The original onSubscribe let anyone subscribe to anything and then
// broadcast {"msg": "<resourceId> has joined <topic>"}. Here the app knows
// its three channels and refuses the others:
//   {"result": {}}     → subscribed
//   {"error": {...}}   → a v2 client gets ERROR; a v1 client (which has no
//                        error for SUBSCRIBE) is simply not subscribed.
//
// The join announcement is left out on purpose (see README.md, "What is
// left out"): the node is waiting for this answer, the subscription does
// not exist yet, and publishing from here through the node's HTTP API
// would need a second PHP worker free for the publish hook it triggers.

declare(strict_types=1);

const CHANNELS = ['counter/channel', 'price/channel', 'broadcast/channel'];

return function (object $req): array {
    if (!in_array($req->topic, CHANNELS, true) || $req->match !== 'exact') {
        return error('app.error.no_such_topic', 'this auction has no topic ' . $req->topic);
    }
    return result();
};
