<?php
// POST /call — a remote procedure call the node hands to the app
// (--hook-call price.).
//
// The original onCall answered every call with a call error "RPC not
// supported on this demo". Here price.current answers the current price of
// a lot:
//   {"result": {"args": [120]}}  → CALLRESULT [3, callID, 120] (v1),
//                                  RESULT [50, request, {}, [120]] (v2)
//   {"error": {...}}            → CALLERROR (v1) / ERROR (v2)

declare(strict_types=1);

return function (object $req): array {
    if ($req->procedure !== 'price.current') {
        return error('app.error.not_supported', 'RPC not supported on this demo');
    }
    return with_db(function (object $db) use ($req): array {
        $lot = find_lot($db, $req->args[0] ?? null);
        if ($lot === null) {
            return [error('app.error.no_such_lot', 'no such lot'), false];
        }
        return [result(['args' => [$lot->price]]), false];
    });
};
