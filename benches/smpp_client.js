#!/usr/bin/env node
// Third-party SMPP load client for benches/smpp_vs.py, built on node-smpp
// (the `smpp` package on npm, https://github.com/farhadi/node-smpp).
//
// N sessions, each a bind_transceiver, each keeping W submit_sm outstanding:
// the next submit goes out from the callback of each submit_sm_resp. After D
// seconds no new submit is sent; every session waits for its outstanding
// responses, unbinds and closes. Prints one JSON line:
//   {"submitted", "responses", "ok", "seconds", ...}
// where seconds runs from the first connect until the last submit_sm_resp.
//
// It is meant to be a fair, efficient use of the library at its maximum:
// the ordinary `session.submit_sm(options, callback)` API, the same message
// as hornet's defaults (alphanumeric source "hornet", destination 99890 plus
// a 7-digit message number, "hornet load test message" in data_coding 0), an
// explicit data_coding so the library does not run its charset detection
// on every message, nothing logged per message, and the submits sent from
// one batch of responses coalesced into one socket write with Node's own
// cork()/uncork() (--no-cork turns that off: one write per PDU).
//
// Usage: node smpp_client.js --host H --port P --system-id ID --password PW
//                            [--sessions 4] [--window 256] [--duration 10]
//                            [--no-cork]
'use strict';

const path = require('path');

function parseArgs(argv) {
  const a = {
    host: '127.0.0.1', port: 2775, systemId: '', password: '',
    sessions: 4, window: 256, duration: 10, cork: true, smppPath: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) usage(`${k} needs a value`);
      return argv[++i];
    };
    switch (k) {
      case '--host': a.host = v(); break;
      case '--port': a.port = parseInt(v(), 10); break;
      case '--system-id': a.systemId = v(); break;
      case '--password': a.password = v(); break;
      case '--sessions': a.sessions = parseInt(v(), 10); break;
      case '--window': a.window = parseInt(v(), 10); break;
      case '--duration': a.duration = parseFloat(v()); break;
      case '--no-cork': a.cork = false; break;
      case '--smpp-path': a.smppPath = v(); break;
      default: usage(`unknown argument ${k}`);
    }
  }
  if (!(a.port > 0) || !(a.sessions > 0) || !(a.window > 0) || !(a.duration > 0)) {
    usage('--port, --sessions, --window and --duration must be positive');
  }
  return a;
}

function usage(msg) {
  process.stderr.write(`smpp_client.js: ${msg}\n`);
  process.exit(2);
}

const args = parseArgs(process.argv.slice(2));
// --smpp-path: the node_modules folder the bench script installed into.
const smppDir = args.smppPath ? path.resolve(args.smppPath, 'smpp') : path.dirname(require.resolve('smpp/package.json'));
const smpp = require(smppDir);
const smppVersion = require(path.join(smppDir, 'package.json')).version;

const TEXT = 'hornet load test message';
let seq = 0;            // message number over all sessions, like hornet's {seq:7}
let submitted = 0;
let responses = 0;
let ok = 0;
let stopping = false;
let lastResponse = 0;
let sessionsDone = 0;
let bound = 0;
const errors = {};
const t0 = process.hrtime.bigint();

function dest() {
  seq = seq === 9999999 ? 0 : seq + 1;
  const s = String(seq);
  return '99890' + '0000000'.slice(s.length) + s;
}

function fail(msg) {
  process.stderr.write(`smpp_client.js: ${msg}\n`);
  process.exit(1);
}

function runSession() {
  const session = smpp.connect({ host: args.host, port: args.port });
  let outstanding = 0;
  let corked = false;
  let finished = false;
  const sock = session.socket;
  sock.setNoDelay(true);
  const uncork = () => { corked = false; sock.uncork(); };

  function onResp(pdu) {
    outstanding--;
    responses++;
    if (pdu.command_status === 0) {
      ok++;
    } else {
      const k = '0x' + pdu.command_status.toString(16).padStart(8, '0');
      errors[k] = (errors[k] || 0) + 1;
    }
    if (!stopping) {
      if (args.cork && !corked) {
        corked = true;
        sock.cork();
        process.nextTick(uncork);
      }
      submit();
    } else if (outstanding === 0) {
      lastResponse = process.hrtime.bigint();
      finish();
    }
  }

  function submit() {
    outstanding++;
    submitted++;
    session.submit_sm({
      source_addr_ton: 5,
      source_addr_npi: 0,
      source_addr: 'hornet',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: dest(),
      data_coding: 0,
      short_message: TEXT,
    }, onResp);
  }

  function finish() {
    if (finished) return;
    finished = true;
    session.unbind(() => session.close());
  }

  // Requests from the SMSC are answered so the bind stays healthy.
  session.on('enquire_link', (pdu) => session.send(pdu.response()));
  session.on('deliver_sm', (pdu) => session.send(pdu.response()));
  session.on('unbind', (pdu) => { session.send(pdu.response()); session.close(); });
  session.on('error', (e) => { if (!finished) fail(`session error: ${e.message || e}`); });
  session.on('close', () => {
    if (!finished && !stopping) fail('connection closed by the SMSC');
    if (outstanding > 0) errors.lost = (errors.lost || 0) + outstanding;
    if (++sessionsDone === args.sessions) report();
  });

  session.on('connect', () => {
    session.bind_transceiver({ system_id: args.systemId, password: args.password }, (pdu) => {
      if (pdu.command_status !== 0) {
        fail(`bind_transceiver refused: status 0x${pdu.command_status.toString(16).padStart(8, '0')}`);
      }
      bound++;
      if (stopping) { finish(); return; }
      sock.cork();
      for (let i = 0; i < args.window; i++) submit();
      sock.uncork();
    });
  });
  return session;
}

function report() {
  const end = lastResponse || process.hrtime.bigint();
  const seconds = Number(end - t0) / 1e9;
  process.stdout.write(JSON.stringify({
    submitted, responses, ok, seconds,
    sessions: args.sessions, bound, window: args.window, cork: args.cork,
    errors, smpp_version: smppVersion, node_version: process.version,
  }) + '\n');
  process.exit(0);
}

setTimeout(() => {
  stopping = true;
  lastResponse = process.hrtime.bigint();
}, args.duration * 1000);
for (let i = 0; i < args.sessions; i++) runSession();
