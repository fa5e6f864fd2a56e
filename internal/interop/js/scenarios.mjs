// Self-contained scenarios: every session they need lives in this process.
// Each returns what it observed; the Go test asserts exact values.

import {
  Aborted, Collector, ScenarioError, autobahn, callError, checkID, deferred, eventOf, plain, resultOf, routerRoles,
} from './harness.mjs';

function describe(c) {
  return {
    session: checkID(c.session.id, 'WELCOME session id'),
    realm: c.session.realm,
    authid: c.details.authid,
    authrole: c.details.authrole,
    authmethod: c.details.authmethod,
    roles: routerRoles(c.details),
  };
}

// HELLO/WELCOME then GOODBYE from the client; Autobahn|JS closes the
// connection once the router answered. A refused realm reports the ABORT.
async function join(ctx) {
  let c;
  try {
    c = await ctx.connect();
  } catch (e) {
    if (e instanceof Aborted) return { aborted: { reason: e.reason, message: e.abortMessage } };
    throw e;
  }
  const first = describe(c);
  c.session.leave('wamp.close.normal');
  const closed = await ctx.wait(c.closed.promise, 'the GOODBYE reply and the close');
  return { first, first_goodbye: closed.details.reason, close: closed.reason };
}

// Joins, reports ready, then waits for the router's GOODBYE.
async function awaitGoodbye(ctx) {
  const c = await ctx.connect();
  ctx.ready({ session: describe(c).session });
  const closed = await ctx.wait(c.closed.promise, 'a GOODBYE from the router');
  return { reason: closed.details.reason, message: closed.details.message, close: closed.reason };
}

function recorder(collector, endMarker) {
  return (args, kwargs, details) => collector.add(eventOf(args, kwargs, details), args[0] === endMarker);
}

// Acknowledged publications, exclude_me (default and false), exclude and
// eligible by session id, disclose_me.
async function pubsub(ctx) {
  const topic = ctx.param('prefix', undefined, true) + '.pubsub';
  const names = ['sub1', 'sub2', 'pub'];
  const clients = {};
  for (const n of names) clients[n] = await ctx.connect();
  const sessions = Object.fromEntries(names.map((n) => [n, checkID(clients[n].session.id, `${n} session id`)]));
  const collectors = {};
  const subscriptions = {};
  for (const n of names) {
    collectors[n] = new Collector();
    const sub = await ctx.wait(clients[n].session.subscribe(topic, recorder(collectors[n], 'end')), `SUBSCRIBED for ${n}`);
    subscriptions[n] = sub.id;
  }
  const steps = [
    ['default', {}],
    ['exclude_me_false', { exclude_me: false }],
    ['exclude_sub1', { exclude: [sessions.sub1] }],
    ['eligible_sub1', { eligible: [sessions.sub1] }],
    ['disclose_me', { disclose_me: true }],
    ['retain', { retain: true }],
    ['end', { exclude_me: false }],
  ];
  const published = {};
  for (const [i, [name, options]] of steps.entries()) {
    const p = await ctx.wait(clients.pub.session.publish(topic, [name, i], { step: i }, { acknowledge: true, ...options }),
      `PUBLISHED for ${name}`);
    published[name] = checkID(p.id, `publication id of ${name}`);
  }
  const events = {};
  for (const n of names) events[n] = await ctx.wait(collectors[n].done.promise, `the end event at ${n}`);
  // A late subscriber asking for the retained event gets it at once.
  const late = await ctx.connect();
  sessions.late = checkID(late.session.id, 'late session id');
  collectors.late = new Collector(1);
  const sub = await ctx.wait(late.session.subscribe(topic, recorder(collectors.late, undefined), { get_retained: true }), 'SUBSCRIBED for late');
  subscriptions.late = sub.id;
  events.late = await ctx.wait(collectors.late.done.promise, 'the retained event at late');
  return { sessions, subscriptions, published, events };
}

// Exact, prefix and wildcard subscriptions of one session.
async function patterns(ctx) {
  const base = ctx.param('prefix', undefined, true) + '.pat';
  const sub = await ctx.connect();
  const pub = await ctx.connect();
  const specs = {
    exact: [base + '.a.x', undefined],
    prefix: [base + '.a', 'prefix'],
    wildcard: [base + '..x', 'wildcard'],
  };
  const collectors = {};
  const subscriptions = {};
  for (const [name, [uri, match]] of Object.entries(specs)) {
    collectors[name] = new Collector();
    const s = await ctx.wait(sub.session.subscribe(uri, recorder(collectors[name], 'end'), match ? { match } : {}),
      `SUBSCRIBED for ${name}`);
    subscriptions[name] = s.id;
  }
  const published = {};
  for (const [suffix, marker] of [['.a.1', 'a1'], ['.b.x', 'bx'], ['.c.y', 'cy'], ['.ab', 'ab'], ['.a.x', 'end']]) {
    const p = await ctx.wait(pub.session.publish(base + suffix, [marker], {}, { acknowledge: true }), `PUBLISHED to ${base}${suffix}`);
    published[marker] = checkID(p.id, `publication id of ${marker}`);
  }
  const events = {};
  for (const name of Object.keys(specs)) {
    events[name] = await ctx.wait(collectors[name].done.promise, `the end event on the ${name} subscription`);
  }
  return { base, subscriptions, published, events };
}

// Calls with args/kwargs, application and router errors, progressive
// results, caller disclosure, a call timeout and a kill-mode cancel; caller
// and callee here. Autobahn|JS does not announce call_canceling as a
// callee, so the router must not send it INTERRUPT (it would close the
// session as a protocol violation) and treats a cancel as "skip".
async function rpc(ctx) {
  const base = ctx.param('prefix', undefined, true) + '.rpc';
  const callee = await ctx.connect();
  const caller = await ctx.connect();
  const release = { timeout: deferred(), cancel: deferred() };
  const registrations = {};
  const endpoints = {
    echo: (args, kwargs) => new autobahn.Result(args, kwargs),
    add: ([a, b]) => a + b,
    fail: () => { throw new autobahn.Error('com.example.error.bad_input', ['bad input', 7], { field: 'x' }); },
    countdown: ([n], kwargs, details) => {
      if (!details.progress) throw new autobahn.Error('com.example.error.no_receive_progress');
      for (let i = n; i > 0; i--) details.progress([i]);
      return 'liftoff';
    },
    whoami: (args, kwargs, details) => (details.caller === undefined ? null : details.caller),
    // Answers only when the scenario releases it, after the caller gave up:
    // the router must drop that late YIELD.
    slow: ([tag], kwargs, details) => {
      if (details.progress) details.progress(['started']);
      return release[tag].promise;
    },
  };
  for (const [name, fn] of Object.entries(endpoints)) {
    const reg = await ctx.wait(callee.session.register(`${base}.${name}`, fn), `REGISTERED for ${name}`);
    registrations[name] = reg.id;
  }
  const call = (name, args, kwargs, options) => caller.session.call(`${base}.${name}`, args, kwargs, options);
  const out = { registrations, caller: caller.session.id };
  out.echo = resultOf(await ctx.wait(call('echo', [1, 'two', { three: 3 }, [4]], { k: 'v' }), 'RESULT of echo'));
  out.add = resultOf(await ctx.wait(call('add', [2, 3]), 'RESULT of add'));
  out.fail = await callError(ctx, call('fail', ['why']), 'ERROR of fail');
  out.missing = await callError(ctx, call('missing'), 'ERROR of a call to nothing');
  try {
    await ctx.wait(caller.session.register(`${base}.add`, endpoints.add), 'ERROR of a second REGISTER');
    throw new ScenarioError('a second REGISTER of the same procedure succeeded');
  } catch (e) {
    if (!(e instanceof autobahn.Error)) throw e;
    out.duplicate = { error: e.error };
  }
  out.whoami = resultOf(await ctx.wait(call('whoami', [], {}, { disclose_me: true }), 'RESULT of whoami'));
  out.whoami_undisclosed = resultOf(await ctx.wait(call('whoami'), 'RESULT of whoami without disclose_me'));

  const progress = [];
  const res = await ctx.wait(call('countdown', [3], {}, { receive_progress: true }).then(null, null, (p) => progress.push(plain(p))),
    'RESULT of countdown');
  out.countdown = { progress, result: resultOf(res) };

  const timeoutMs = Number(ctx.param('call_timeout_ms', 300));
  out.timeout = await callError(ctx, call('slow', ['timeout'], {}, { timeout: timeoutMs }), 'ERROR of a call past its timeout');
  await lateYield(ctx, callee, release.timeout, base);

  const started = deferred();
  const pending = call('slow', ['cancel'], {}, { receive_progress: true });
  const failed = callError(ctx, pending.then(null, null, (p) => started.resolve(plain(p))), 'ERROR of the canceled call');
  out.cancel = { progress: await ctx.wait(started.promise, 'the first progressive result of slow') };
  pending.cancel({ mode: 'kill' });
  Object.assign(out.cancel, await failed);
  await lateYield(ctx, callee, release.cancel, base);
  // The late YIELDs were dropped: this caller still gets exactly its answer
  // (a stray RESULT would have closed its session as a protocol violation).
  out.after = resultOf(await ctx.wait(call('add', [20, 22]), 'RESULT of add after the cancel'));
  return out;
}

// Lets the slow endpoint answer, then makes a round trip from the callee so
// that the router has processed that late YIELD before the scenario goes on
// (the YIELD leaves a few event-loop turns after the release).
async function lateYield(ctx, callee, release, base) {
  release.resolve('late');
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  await ctx.wait(callee.session.call(`${base}.add`, [0, 0]), 'a round trip of the callee after its late YIELD');
}

export const SCENARIOS = {
  join,
  'await-goodbye': awaitGoodbye,
  pubsub,
  patterns,
  rpc,
};
