// Sessions, bounded waits and output values for the Autobahn|JS scenarios.
//
// Every wait is bounded by the scenario's timeout; a connection the server
// refuses, an ABORT, or an event that never comes ends the scenario with a
// ScenarioError naming what was awaited.

import { createRequire } from 'node:module';
import WebSocket from 'ws';

// The last transport error (refused connection, failed upgrade), for messages.
let lastTransportError = null;

// Autobahn|JS 26 opens its connections with the global WebSocket (browsers,
// Node 22+). Install ws's client in its place so every Node version runs the
// same WebSocket implementation. Like a browser's, it reports a failure as
// an error followed by a close event; ws also emits it as an EventEmitter
// 'error', fatal without a listener, so listen.
class NodeWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
    this.on('error', (e) => { lastTransportError = e.message; });
  }
}
Object.defineProperty(globalThis, 'WebSocket', { value: NodeWebSocket, writable: true, configurable: true });

const require = createRequire(import.meta.url);
export const autobahn = require('autobahn');

export const SERIALIZERS = {
  json: () => new autobahn.serializer.JSONSerializer(),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
  cbor: () => new autobahn.serializer.CBORSerializer(),
};

// WAMP ids are integers in [1, 2^53].
const MAX_ID = 2 ** 53;

/** Something the scenario needed did not happen (or happened wrongly). */
export class ScenarioError extends Error {}

/** The router answered HELLO with ABORT. */
export class Aborted extends Error {
  constructor(reason, message) {
    super(`ABORT ${reason}: ${message}`);
    this.reason = reason;
    this.abortMessage = message;
  }
}

/** Awaits p with a deadline; a timeout becomes a ScenarioError naming what. */
export function bounded(p, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new ScenarioError(`timed out after ${ms / 1000}s waiting for ${what}`)), ms);
  });
  return Promise.race([Promise.resolve(p), deadline]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve/reject at hand. */
export function deferred() {
  const d = {};
  d.promise = new Promise((resolve, reject) => { d.resolve = resolve; d.reject = reject; });
  return d;
}

/** One autobahn.Connection and the session it opened. */
export class Client {
  // auth: Connection options authmethods, authid, authextra, onchallenge
  // (none: HELLO offers no authmethods); url: default the scenario's.
  constructor(ctx, serializer, realm, { url = ctx.url, auth = {} } = {}) {
    this.joined = deferred();
    this.closed = deferred();
    this.session = null;
    this.details = null;
    this.isClosed = false;
    this.connection = new autobahn.Connection({
      url,
      realm,
      serializers: [SERIALIZERS[serializer]()],
      max_retries: 0,
      retry_if_unreachable: false,
      ...auth,
    });
    this.connection.onopen = (session, details) => {
      this.session = session;
      this.details = details;
      this.joined.resolve(this);
    };
    this.connection.onclose = (reason, details) => {
      this.isClosed = true;
      if (details && details.reason && this.session === null) {
        this.joined.reject(new Aborted(details.reason, details.message));
      } else if (this.session === null) {
        this.joined.reject(new ScenarioError(`WebSocket connection to ${ctx.url} failed: ${reason}`
          + (lastTransportError ? ` (${lastTransportError})` : '')));
      }
      this.closed.resolve({ reason, details });
      return true; // no reconnection
    };
  }
}

/** What a scenario gets: where to connect, its parameters, how long to wait. */
export class Context {
  constructor({ url, realm, serializer, params, timeout, emit }) {
    Object.assign(this, { url, realm, serializer, params, timeout });
    this.emit = emit;
    this.clients = [];
  }

  param(name, fallback, required = false) {
    if (Object.prototype.hasOwnProperty.call(this.params, name)) return this.params[name];
    if (required) throw new ScenarioError(`missing parameter ${JSON.stringify(name)}`);
    return fallback;
  }

  /** Tells the driving test that the scenario may be acted upon. */
  ready(info) { this.emit({ ready: info }); }

  wait(p, what) { return bounded(p, this.timeout * 1000, what); }

  /** Opens a connection (to url, default the scenario's; with the
   * Connection options auth) and waits for WELCOME (or throws Aborted /
   * ScenarioError). */
  async connect({ serializer = this.serializer, realm = this.realm, url, auth } = {}) {
    const c = new Client(this, serializer, realm, { url, auth });
    this.clients.push(c);
    c.connection.open();
    await this.wait(c.joined.promise, 'WELCOME');
    return c;
  }

  /** Leaves and closes every client still open (best effort, bounded). */
  async closeAll() {
    for (const c of this.clients) {
      if (c.isClosed) continue;
      try {
        if (c.session && c.session.isOpen) c.session.leave();
        else c.connection.close();
      } catch (e) {
        // already closing
      }
    }
    await Promise.allSettled(this.clients.map((c) => this.wait(c.closed.promise, 'the close of a connection')));
  }
}

/** Returns v if it is a WAMP id (integer in [1, 2^53]), else throws. */
export function checkID(v, what) {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_ID) {
    throw new ScenarioError(`${what} is not a WAMP id: ${JSON.stringify(plain(v))}`);
  }
  return v;
}

/** A JSON-printable copy of a received value; bytes become {"bytes_b64": ...}. */
export function plain(v) {
  if (v instanceof ArrayBuffer) v = new Uint8Array(v);
  if (v instanceof Uint8Array) return { bytes_b64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), plain(x)]));
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v === undefined ? null : v;
}

/** The inverse of plain for values given as parameters. Autobahn|JS
 * leaves the WAMP JSON convention for binary ("\u0000" + base64) to the
 * application, so with JSON bytes are sent in that form. */
export function wire(v, serializer) {
  if (Array.isArray(v)) return v.map((x) => wire(x, serializer));
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === 'bytes_b64') {
      return serializer === 'json' ? '\u0000' + v.bytes_b64 : Buffer.from(v.bytes_b64, 'base64');
    }
    return Object.fromEntries(keys.map((k) => [k, wire(v[k], serializer)]));
  }
  return v;
}

/** The features the router announced in WELCOME, per role, sorted (true ones only). */
export function routerRoles(details) {
  const roles = {};
  for (const name of Object.keys(details.roles || {}).sort()) {
    const f = details.roles[name].features || {};
    roles[name] = Object.keys(f).filter((k) => f[k] === true).sort();
  }
  return roles;
}

/** Collects items until a count is reached or a last one is added. */
export class Collector {
  constructor(count) {
    this.items = [];
    this.count = count;
    this.done = deferred();
  }

  add(item, last = false) {
    this.items.push(item);
    if (last || (this.count !== undefined && this.items.length >= this.count)) this.done.resolve(this.items);
  }
}

/** An event as the scenarios report it. */
export function eventOf(args, kwargs, details) {
  return {
    args: plain(args),
    kwargs: plain(kwargs),
    publication: details.publication,
    publisher: details.publisher === undefined ? null : details.publisher,
    topic: details.topic === undefined ? null : details.topic,
    retained: Boolean(details.retained),
  };
}

/** A call's outcome: Autobahn|JS gives a Result for several args or any
 * kwargs, else the single value (null for none). */
export function resultOf(res) {
  if (res instanceof autobahn.Result) return { args: plain(res.args), kwargs: plain(res.kwargs) };
  return { value: plain(res) };
}

/** Awaits a call that must fail; returns its error. */
export async function callError(ctx, call, what) {
  let res;
  try {
    res = await ctx.wait(call, what);
  } catch (e) {
    if (e instanceof autobahn.Error) return { error: e.error, args: plain(e.args), kwargs: plain(e.kwargs) };
    throw e;
  }
  throw new ScenarioError(`${what}: got a result instead: ${JSON.stringify(plain(res))}`);
}
