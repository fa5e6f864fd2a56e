<?php
// The app's backend closes a lot and tells every client, on every node:
//
//   BIDDING_API_KEY_FILE=api-keys php examples/bidding/backend/close-lot.php LOT [sold|withdrawn]
//
// It changes the database, then publishes {"lot", "status", "price",
// "bidder"} on price/channel through the node's HTTP API (POST
// /api/publish, Authorization: Bearer KEY). The original backend opened a
// WebSocket client to each node for every event; one HTTP request to any
// node now reaches the subscribers of the whole cluster.
//
// BIDDING_API_URL: the node (default http://127.0.0.1:8095);
// BIDDING_API_KEY_FILE: the node's --api-key-file (its first key is used);
// BIDDING_DATA: the data directory (default data/ beside the app).

declare(strict_types=1);

require dirname(__DIR__) . '/lib/app.php';

// POSTs $body as JSON to the node's HTTP API; returns the decoded answer or
// exits with a message. file_get_contents with a stream context: no curl
// extension needed.
function api_post(string $path, array $body): object
{
    $base = getenv('BIDDING_API_URL') ?: 'http://127.0.0.1:8095';
    $keyFile = getenv('BIDDING_API_KEY_FILE') ?: 'api-keys';
    $key = null;
    foreach (file($keyFile, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) ?: [] as $line) {
        if (trim($line) !== '' && trim($line)[0] !== '#') {
            $key = trim($line);
            break;
        }
    }
    if ($key === null) {
        fwrite(STDERR, "no API key in $keyFile\n");
        exit(1);
    }
    $context = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => "Authorization: Bearer $key\r\nContent-Type: application/json\r\n",
        'content' => to_json($body),
        'timeout' => 5,
        'ignore_errors' => true, // read the JSON error body of a 4xx/5xx too
    ]]);
    $answer = @file_get_contents($base . $path, false, $context);
    $status = isset($http_response_header[0]) ? (int) explode(' ', $http_response_header[0])[1] : 0;
    if ($answer === false || $status !== 200) {
        fwrite(STDERR, "POST $path: " . ($http_response_header[0] ?? 'no answer') . " $answer\n");
        exit(1);
    }
    return json_decode($answer, false, 16, JSON_THROW_ON_ERROR);
}

$lotId = $argv[1] ?? '';
$status = $argv[2] ?? 'sold';
if (!in_array($status, ['sold', 'withdrawn'], true)) {
    fwrite(STDERR, "usage: php close-lot.php LOT [sold|withdrawn]\n");
    exit(2);
}

$event = with_db(function (object $db) use ($lotId, $status): array {
    $lot = find_lot($db, $lotId);
    if ($lot === null || $lot->status !== 'bidding') {
        return [null, false];
    }
    $lot->status = $status;
    return [['lot' => (int) $lotId, 'status' => $status, 'price' => $lot->price, 'bidder' => $lot->bidder], true];
});
if ($event === null) {
    fwrite(STDERR, "lot $lotId does not exist or is not on bidding\n");
    exit(1);
}

$answer = api_post('/api/publish', ['topic' => 'price/channel', 'args' => [$event]]);
echo "lot $lotId $status, publication {$answer->publication}\n";
