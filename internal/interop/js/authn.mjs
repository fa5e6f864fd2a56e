// Authentication scenarios: each attempt is one connection that
// authenticates with one method (Autobahn|JS's own auth_cra and
// auth_cryptosign) and reports its WELCOME or the router's ABORT.
//
// Parameters (--params):
//   attempts: [{name, method: anonymous | ticket | wampcra | cryptosign,
//               authid, ticket, secret, privkey (hex Ed25519 seed), pubkey (hex),
//               url (default: the scenario's; e.g. with ?token=)}]

import { Aborted, ScenarioError, autobahn, checkID } from './harness.mjs';

function hex(s) {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

// The Connection options of an attempt.
function authOf(a) {
  const method = a.method || 'anonymous';
  if (method === 'anonymous') return {};
  const opts = { authmethods: [method] };
  if (a.authid) opts.authid = a.authid;
  switch (method) {
    case 'ticket':
      opts.onchallenge = () => a.ticket;
      break;
    case 'wampcra':
      opts.onchallenge = (session, m, extra) => {
        const key = extra.salt ? autobahn.auth_cra.derive_key(a.secret, extra.salt, extra.iterations, extra.keylen) : a.secret;
        return autobahn.auth_cra.sign(key, extra.challenge);
      };
      break;
    case 'cryptosign': {
      // A tweetnacl key pair: the secret key is the seed then the public key.
      const pkey = { publicKey: hex(a.pubkey), secretKey: hex(a.privkey + a.pubkey) };
      opts.authextra = { pubkey: autobahn.auth_cryptosign.public_key(pkey) };
      opts.onchallenge = (session, m, extra) => autobahn.auth_cryptosign.sign_challenge(pkey, extra);
      break;
    }
    default:
      throw new ScenarioError(`unknown method ${JSON.stringify(method)}`);
  }
  return opts;
}

async function authenticate(ctx) {
  const results = {};
  for (const a of ctx.param('attempts', undefined, true)) {
    let c;
    try {
      c = await ctx.connect({ url: a.url, auth: authOf(a) });
    } catch (e) {
      if (e instanceof Aborted) {
        results[a.name] = { aborted: { reason: e.reason, message: e.abortMessage } };
        continue;
      }
      throw e;
    }
    checkID(c.session.id, `${a.name} session id`);
    const d = c.details;
    results[a.name] = { welcome: { authid: d.authid, authrole: d.authrole, authmethod: d.authmethod, authprovider: d.authprovider } };
    c.session.leave('wamp.close.normal');
    await ctx.wait(c.closed.promise, `the close of ${a.name}`);
  }
  return results;
}

export const AUTHN = { authenticate };
