<?php
// Shared helpers of the bidding example: hook answers, the users store and
// the auction "database" (a JSON file guarded by flock).
//
// Plain php-cli: json, no framework, no Composer, no extension.

declare(strict_types=1);

// Where the data files live: BIDDING_DATA, or data/ beside this app.
function data_dir(): string
{
    $dir = getenv('BIDDING_DATA');
    return $dir !== false && $dir !== '' ? $dir : dirname(__DIR__) . '/data';
}

// Encodes a value for the node: slashes and non-ASCII characters as they
// are, so an event reaches the clients exactly as the app wrote it.
function to_json(mixed $value): string
{
    return json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR);
}

// Hook answer "accepted". For a publication: (object) [] delivers it as
// is; 'args' rewrites it; 'skip' => true delivers it to nobody; 'reply'
// sends an EVENT on the same topic to the publisher alone.
function result(array $fields = []): array
{
    return ['result' => (object) $fields];
}

// Hook answer "refused": the node turns it into ABORT, ERROR or CALLERROR
// (a refused v1 handshake gets 403 with the message).
function error(string $uri, string $message): array
{
    return ['error' => ['uri' => $uri, 'message' => $message]];
}

// The user a PHPSESSID cookie names in data/sessions.json, as
// ['user' => ..., 'role' => ...], or null. This stands for the Symfony
// session the original Ratchet app read.
function user_from_cookie(string $cookieHeader): ?array
{
    $sid = null;
    foreach (explode(';', $cookieHeader) as $pair) {
        [$name, $value] = array_pad(explode('=', trim($pair), 2), 2, '');
        if ($name === 'PHPSESSID') {
            $sid = $value;
        }
    }
    if ($sid === null || $sid === '') {
        return null;
    }
    $sessions = json_decode((string) file_get_contents(data_dir() . '/sessions.json'), true, 8, JSON_THROW_ON_ERROR);
    $user = $sessions[$sid] ?? null;
    return is_array($user) ? $user : null;
}

// Runs $fn on the auction database under an exclusive lock, so two bids on
// the same lot (PHP_CLI_SERVER_WORKERS > 1, or the backend script at the
// same time) never both win. $fn gets the database (objects, as in the
// file) and returns [$answer, $changed]; a changed database is written back
// before the lock is released. Returns $answer.
function with_db(callable $fn): mixed
{
    $f = fopen(data_dir() . '/auction.json', 'c+');
    if ($f === false || !flock($f, LOCK_EX)) {
        throw new RuntimeException('cannot lock the auction database');
    }
    try {
        $db = json_decode((string) stream_get_contents($f), false, 16, JSON_THROW_ON_ERROR);
        [$answer, $changed] = $fn($db);
        if ($changed) {
            ftruncate($f, 0);
            rewind($f);
            fwrite($f, json_encode($db, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR) . "\n");
            fflush($f);
        }
        return $answer;
    } finally {
        flock($f, LOCK_UN);
        fclose($f);
    }
}

// The lot a client names (1 or "1"), or null.
function find_lot(object $db, mixed $id): ?object
{
    if (!is_int($id) && !(is_string($id) && ctype_digit($id))) {
        return null;
    }
    return $db->lots->{(string) $id} ?? null;
}
