// One-sided roles for scenarios that span processes (another library, or
// wampgate's own v1 client in the Go test). Parameters as in
// ../python/roles.py, plus per call: cancel {"mode": "kill"|"skip"|
// "killnowait"}, sent after the call's first progressive result.

import { Collector, ScenarioError, autobahn, checkID, deferred, eventOf, plain, resultOf, wire } from './harness.mjs';

async function subscribe(ctx) {
  const topic = ctx.param('topic', undefined, true);
  const count = Number(ctx.param('count', undefined, true));
  const match = ctx.param('match');
  const c = await ctx.connect();
  const collector = new Collector(count);
  const sub = await ctx.wait(c.session.subscribe(topic, (args, kwargs, details) => collector.add(eventOf(args, kwargs, details)),
    match ? { match } : {}), 'SUBSCRIBED');
  const session = checkID(c.session.id, 'session id');
  ctx.ready({ session, subscription: sub.id });
  const events = await ctx.wait(collector.done.promise, `${count} event(s) on ${topic}`);
  return { session, subscription: sub.id, events };
}

async function publish(ctx) {
  const topic = ctx.param('topic', undefined, true);
  const c = await ctx.connect();
  const published = [];
  for (const [i, p] of ctx.param('publications', undefined, true).entries()) {
    const options = { ...(p.options || {}), acknowledge: true };
    // Absent args/kwargs stay absent (Autobahn|JS then sends none).
    const args = p.args === undefined ? undefined : wire(p.args, ctx.serializer);
    const kwargs = p.kwargs === undefined ? undefined : wire(p.kwargs, ctx.serializer);
    const pub = await ctx.wait(c.session.publish(topic, args, kwargs, options),
      `PUBLISHED for publication ${i}`);
    published.push(checkID(pub.id, 'publication id'));
  }
  return { session: checkID(c.session.id, 'session id'), published };
}

async function callee(ctx) {
  const procedures = ctx.param('procedures', undefined, true);
  const count = Number(ctx.param('count', undefined, true));
  const c = await ctx.connect();
  const served = new Collector(count);
  const registrations = {};
  for (const [uri, spec] of Object.entries(procedures)) {
    const endpoint = (args, kwargs, details) => {
      const seen = { procedure: uri, args: plain(args), kwargs: plain(kwargs), caller: details.caller === undefined ? null : details.caller };
      if (spec.result) {
        served.add({ ...seen, outcome: 'result' });
        return new autobahn.Result(wire(spec.result.args || [], ctx.serializer), wire(spec.result.kwargs || {}, ctx.serializer));
      }
      if (spec.error) {
        served.add({ ...seen, outcome: 'error' });
        throw new autobahn.Error(spec.error.uri, wire(spec.error.args || [], ctx.serializer), wire(spec.error.kwargs || {}, ctx.serializer));
      }
      throw new ScenarioError(`no behaviour for ${uri} (Autobahn|JS callees cannot be interrupted)`);
    };
    const reg = await ctx.wait(c.session.register(uri, endpoint), `REGISTERED for ${uri}`);
    registrations[uri] = reg.id;
  }
  const session = checkID(c.session.id, 'session id');
  ctx.ready({ session, registrations });
  const invocations = await ctx.wait(served.done.promise, `${count} invocation(s)`);
  return { session, invocations };
}

async function call(ctx) {
  const calls = ctx.param('calls', undefined, true);
  const c = await ctx.connect();
  const out = [];
  for (const [i, spec] of calls.entries()) {
    const options = { ...(spec.options || {}) };
    if (spec.cancel) options.receive_progress = true;
    const seen = { progress: [] };
    const first = deferred();
    const pending = c.session.call(spec.procedure, wire(spec.args || [], ctx.serializer), wire(spec.kwargs || {}, ctx.serializer), options);
    const settled = ctx.wait(pending.then(null, null, (p) => { seen.progress.push(plain(p)); first.resolve(); }),
      `the answer to call ${i} (${spec.procedure})`)
      .then((res) => { seen.result = resultOf(res); }, (e) => {
        if (!(e instanceof autobahn.Error)) throw e;
        seen.error = { error: e.error, args: plain(e.args), kwargs: plain(e.kwargs) };
      });
    if (spec.cancel) {
      await ctx.wait(Promise.race([first.promise, settled]), `the first progressive result of call ${i}`);
      if (seen.result || seen.error) throw new ScenarioError(`call ${i} ended before its first progressive result`);
      pending.cancel({ mode: spec.cancel.mode });
    }
    await settled;
    out.push(seen);
  }
  return { session: checkID(c.session.id, 'session id'), calls: out };
}

export const ROLES = { subscribe, publish, callee, call };
