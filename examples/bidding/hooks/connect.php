<?php
// POST /connect — who is this WebSocket client?
//
// The original Ratchet app read the user from the Symfony session cookie
// when the browser connected. Here the node sends the handshake's headers
// (Cookie among them) and the app answers with the identity:
//   {"result": {"authid": "alice", "authrole": "bidder"}}  → session opened
//   {"error": {...}}  → refused: a v1 browser gets 403 instead of 101, a
//                       v2 client an ABORT with the error's URI.

declare(strict_types=1);

return function (object $req): array {
    $user = user_from_cookie($req->headers->Cookie ?? '');
    if ($user === null) {
        return error('app.error.not_logged_in', 'log in first: no valid PHPSESSID cookie');
    }
    return result(['authid' => $user['user'], 'authrole' => $user['role']]);
};
