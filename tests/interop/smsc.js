#!/usr/bin/env node
// A small SMSC for hornet's interoperability test, built on node-smpp (the
// npm package `smpp`), an SMPP implementation independent of hornet.
//
//   node smsc.js [--port N] [--system-id ID] [--password PW] [--receipt-delay-ms N]
//
// It listens on 127.0.0.1 (port 0 picks a free one) and prints
// `listening on 127.0.0.1:PORT` as its first line on stdout. Then:
//   - bind_transceiver / bind_transmitter / bind_receiver: accepted when the
//     credentials match, otherwise answered ESME_RINVSYSID / ESME_RINVPASWD;
//   - submit_sm: answered with a fresh hex message_id; when
//     registered_delivery & 1, a deliver_sm delivery receipt follows after
//     ~20 ms on the same bind (or on a receiver bound with the same system_id
//     when the submit came on a transmitter);
//   - enquire_link and unbind: answered;
//   - anything else: generic_nack ESME_RINVCMDID.
// On SIGTERM or SIGINT it prints its counters as one JSON line and exits 0.
//
// node-smpp is loaded with a plain require('smpp'): run.sh installs it into a
// temp dir and points NODE_PATH there.
'use strict';

const smpp = require('smpp');

// --- command line ---------------------------------------------------------

const opts = { port: 0, systemId: 'hornet', password: 'secret', receiptDelayMs: 20 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const flag = argv[i];
  const value = argv[++i];
  if (value === undefined) die(`missing value for ${flag}`);
  switch (flag) {
    case '--port': opts.port = Number(value); break;
    case '--system-id': opts.systemId = value; break;
    case '--password': opts.password = value; break;
    case '--receipt-delay-ms': opts.receiptDelayMs = Number(value); break;
    default: die(`unknown flag ${flag}`);
  }
}

function die(msg) {
  process.stderr.write(`smsc.js: ${msg}\n`);
  process.exit(2);
}

// --- counters, printed as one JSON line at exit ---------------------------

const counters = {
  connections: 0,
  binds: 0,               // successful binds, all kinds
  bind_transceiver: 0,
  bind_transmitter: 0,
  bind_receiver: 0,
  bind_rejected: 0,       // wrong credentials
  submits: 0,             // submit_sm answered ESME_ROK
  submits_rejected: 0,    // submit_sm on a session not bound to transmit
  receipts_sent: 0,       // deliver_sm receipts written
  receipts_acked: 0,      // deliver_sm_resp with command_status 0
  receipts_nacked: 0,     // deliver_sm_resp with another status
  receipts_unroutable: 0, // no bind could take the receipt (dropped)
  enquire_links: 0,
  unbinds: 0,
  generic_nacks_received: 0,
  unknown_commands: 0,
  pdu_errors: 0,          // node-smpp failed to decode what it read
  commands: {},           // every PDU received, by command name
};

// --- helpers ---------------------------------------------------------------

// Message ids: a counter from a random start, as lowercase hex, so every id
// in a run is fresh and looks like what real SMSCs hand out.
let nextId = Math.floor(Math.random() * 0x7fffffff) + 0x10000000;
function freshMessageId() {
  return (nextId++).toString(16);
}

// YYMMDDhhmm, the date format of delivery receipts (SMPP 3.4 Appendix B).
function receiptDate(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) +
         p(d.getUTCHours()) + p(d.getUTCMinutes());
}

// The short_message text of a receipt. Text carries the first 20 characters
// of the original message.
function receiptText(id, submitted, done, original) {
  const text = original.replace(/[^\x20-\x7e]/g, '.').slice(0, 20);
  return `id:${id} sub:001 dlvrd:001 submit date:${receiptDate(submitted)} ` +
         `done date:${receiptDate(done)} stat:DELIVRD err:000 text:${text}`;
}

// The original text of a submit, as far as it is printable (node-smpp decodes
// short_message into {message, udh?}; message_payload may carry it instead).
function originalText(pdu) {
  const sm = pdu.short_message;
  const msg = sm && (typeof sm === 'string' ? sm : sm.message);
  if (typeof msg === 'string' && msg.length) return msg;
  if (Buffer.isBuffer(msg)) return msg.toString('latin1');
  return '';
}

// Sessions bound with the given system_id that can receive deliver_sm.
const receivers = new Set();

// --- the server ------------------------------------------------------------

const server = smpp.createServer((session) => {
  counters.connections++;
  let bound = null; // 'transceiver' | 'transmitter' | 'receiver' once bound

  session.on('pdu', (pdu) => {
    counters.commands[pdu.command] = (counters.commands[pdu.command] || 0) + 1;
  });

  session.on('error', (err) => {
    // A decode error leaves node-smpp's reader stuck: count it and drop the
    // connection, run.sh fails the test on any.
    counters.pdu_errors++;
    process.stderr.write(`smsc.js: session error: ${err.message}\n`);
    session.destroy();
  });

  session.on('close', () => receivers.delete(session));

  for (const kind of ['transceiver', 'transmitter', 'receiver']) {
    session.on(`bind_${kind}`, (pdu) => {
      // Don't read further PDUs until the bind is answered.
      session.pause();
      let status = smpp.ESME_ROK;
      if (bound) status = smpp.ESME_RALYBND;
      else if (pdu.system_id !== opts.systemId) status = smpp.ESME_RINVSYSID;
      else if (pdu.password !== opts.password) status = smpp.ESME_RINVPASWD;
      if (status === smpp.ESME_ROK) {
        bound = kind;
        session.system_id = pdu.system_id;
        session.bind_kind = kind;
        counters.binds++;
        counters[`bind_${kind}`]++;
        if (kind !== 'transmitter') receivers.add(session);
        session.send(pdu.response({ system_id: 'nodesmsc' }));
      } else {
        counters.bind_rejected++;
        session.send(pdu.response({ command_status: status }));
      }
      session.resume();
    });
  }

  session.on('submit_sm', (pdu) => {
    if (bound !== 'transceiver' && bound !== 'transmitter') {
      counters.submits_rejected++;
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    const id = freshMessageId();
    const submitted = new Date();
    counters.submits++;
    session.send(pdu.response({ message_id: id }));
    if (pdu.registered_delivery & 1) {
      const text = originalText(pdu);
      setTimeout(() => sendReceipt(session, pdu, id, submitted, text), opts.receiptDelayMs);
    }
  });

  session.on('enquire_link', (pdu) => {
    counters.enquire_links++;
    session.send(pdu.response());
  });

  session.on('unbind', (pdu) => {
    counters.unbinds++;
    bound = null;
    receivers.delete(session);
    // The ESME closes the connection after unbind_resp.
    session.send(pdu.response());
  });

  session.on('generic_nack', () => counters.generic_nacks_received++);

  session.on('unknown', (pdu) => {
    counters.unknown_commands++;
    session.send(pdu.response());
  });
});

// A delivery receipt for one submit: the submitting bind when it is a
// transceiver still bound; for a transmitter, any receiver or transceiver
// bound with the same system_id. A receipt due to a transceiver that has
// unbound is dropped rather than handed to another bind: the test then knows
// exactly which run each receipt belongs to.
function sendReceipt(origin, submit, id, submitted, original) {
  let target = null;
  if (origin.bind_kind === 'transceiver') {
    if (receivers.has(origin)) target = origin;
  } else {
    for (const s of receivers) if (s.system_id === origin.system_id) { target = s; break; }
  }
  if (!target) {
    counters.receipts_unroutable++;
    return;
  }
  const text = receiptText(id, submitted, new Date(), original);
  const ok = target.deliver_sm({
    // The receipt goes from the handset back to the ESME: addresses swap.
    source_addr_ton: submit.dest_addr_ton,
    source_addr_npi: submit.dest_addr_npi,
    source_addr: submit.destination_addr,
    dest_addr_ton: submit.source_addr_ton,
    dest_addr_npi: submit.source_addr_npi,
    destination_addr: submit.source_addr,
    esm_class: 0x04, // SMSC delivery receipt
    data_coding: 0,
    short_message: Buffer.from(text, 'ascii'),
    receipted_message_id: id,
    message_state: 2, // DELIVERED
  }, (resp) => {
    if (resp.command_status === 0) counters.receipts_acked++;
    else counters.receipts_nacked++;
  });
  if (ok) counters.receipts_sent++;
  else counters.receipts_unroutable++;
}

server.on('error', (err) => die(`server error: ${err.message}`));

server.listen(opts.port, '127.0.0.1', () => {
  const { address, port } = server.address();
  process.stdout.write(`listening on ${address}:${port}\n`);
});

function finish() {
  process.stdout.write(JSON.stringify(counters) + '\n', () => process.exit(0));
}
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
