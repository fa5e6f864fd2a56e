<?php
// The bidding app's front controller for PHP's built-in server:
//
//   php -S 127.0.0.1:8080 examples/bidding/router.php
//
// wampgate POSTs JSON to /connect, /subscribe, /publish and /call (see
// --hook-url and the --hook-* flags); each is answered by one file in
// hooks/, which returns {"result": {...}} or {"error": {...}}.

declare(strict_types=1);

require __DIR__ . '/lib/app.php';

const HOOKS = ['/connect', '/subscribe', '/publish', '/call'];

$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
header('Content-Type: application/json');
if ($_SERVER['REQUEST_METHOD'] !== 'POST' || !in_array($path, HOOKS, true)) {
    // Not a hook: anything but 200 is a hook failure to the node, and
    // --hook-failure (deny by default) decides.
    http_response_code(404);
    echo to_json(error('app.error.not_found', 'no hook at ' . $path));
    return true;
}

// The request, decoded to objects (not arrays) so that {} stays {} and an
// event the app passes on keeps its shape.
$req = json_decode((string) file_get_contents('php://input'), false, 64, JSON_THROW_ON_ERROR);
$answer = (require __DIR__ . '/hooks' . $path . '.php')($req);
echo to_json($answer);
return true;
