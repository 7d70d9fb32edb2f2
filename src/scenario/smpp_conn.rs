//! A user's SMPP session for `smpp` steps: a non-blocking socket driven by
//! the same SMPP client as `hornet smpp` ([`SmppSession::for_user`]): one
//! transceiver bind per user, opened on the first submit and kept across
//! tasks, one submit_sm in flight at a time.
//!
//! The client answers the SMSC's own requests whatever the user is doing
//! (enquire_link, deliver_sm, unbind), nacks what does not decode, bounds
//! each read pass and stops reading while its answers wait unsent
//! (back-pressure), so a flooding SMSC can neither starve the worker nor
//! grow its memory.

use std::io;
use std::sync::Arc;

use hornet_smpp::CommandStatus;
use mio::Token;

use super::conn::{close_counting, ready};
use crate::engine::link;
use crate::metrics::tls::TlsMetrics;
use crate::metrics::{ErrorKind, Recorder};
use crate::profile::scenario::SmppTarget;
use crate::proto::smpp::template::DestTemplate;
use crate::proto::smpp::{BindKind, SmppConfig, SmppSession};
use crate::proto::{ReadOutcome, Session};
use crate::tls::{Net, TlsClient, Transport};

/// What a read pass produced for the submit in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmppProgress {
    /// Nothing decisive yet.
    Pending,
    /// The submit was answered with this status.
    Answered(CommandStatus),
    /// The SMSC refused the bind with this status.
    BindRefused(CommandStatus),
}

/// The client configuration every user of a run shares: the target's
/// credentials on a transceiver bind; no keep-alive (users are busy or
/// gone), no receipt matching.
pub fn user_config(target: &SmppTarget, timeout_ns: u64) -> Arc<SmppConfig> {
    Arc::new(SmppConfig {
        bind: BindKind::Transceiver,
        system_id: target.system_id.as_bytes().to_vec(),
        password: target.password.as_bytes().to_vec(),
        system_type: target.system_type.as_bytes().to_vec(),
        interface_version: 0x34,
        window: 1,
        source_ton: 0,
        source_npi: 0,
        source: Vec::new(),
        dest_ton: 0,
        dest_npi: 0,
        dest: DestTemplate::compile("0").expect("a literal address compiles"),
        data_coding: 0,
        segments: Vec::new(),
        registered_delivery: 0,
        enquire_link_ns: 0,
        handshake_timeout_ns: timeout_ns,
        dlr_wait_ns: 0,
        max_pdu: hornet_smpp::DEFAULT_MAX_PDU,
        max_sessions: 1,
    })
}

/// One user's SMPP session.
#[derive(Debug)]
pub struct SmppConn {
    stream: Transport,
    connected: bool,
    session: SmppSession,
    /// The session broke in a pass that also answered the submit: the
    /// answer is reported first, the error on the next call.
    broken: Option<ErrorKind>,
}

impl SmppConn {
    /// Connects (TLS when `tls` is given); the bind goes out once the
    /// connection is up.
    pub fn connect(
        target: &SmppTarget,
        config: &Arc<SmppConfig>,
        tls: Option<&TlsClient>,
        registry: &Net,
        token: Token,
    ) -> io::Result<SmppConn> {
        let stream = link::open(target.addr, tls, registry, token)?;
        Ok(SmppConn {
            stream,
            connected: false,
            session: SmppSession::for_user(Arc::clone(config)),
            broken: None,
        })
    }

    /// Deregisters the socket, counting the TLS failure that broke it, if
    /// one did.
    pub fn close(self, registry: &Net, tls: &mut TlsMetrics) {
        close_counting(self.stream, registry, tls);
    }

    /// Encodes a submit_sm for the step; sent now if bound, else after the
    /// bind. `Err` says why it cannot be encoded.
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        &mut self,
        intended: u64,
        now: u64,
        source: &[u8],
        destination: &[u8],
        text: &str,
        registered_delivery: bool,
        scratch: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.session.submit_rendered(
            intended,
            now,
            source,
            destination,
            text,
            registered_delivery,
            scratch,
        )
    }

    /// The bind completed: a submit now goes straight to the SMSC.
    pub fn is_bound(&self) -> bool {
        self.session.is_bound()
    }

    /// Frees the read buffer while the user pauses (16 KiB a session
    /// otherwise); the next read allocates it again.
    pub fn trim(&mut self) {
        self.session.release_read_buffer();
    }

    /// Until when the SMSC throttled this session (its next submit waits).
    pub fn throttled_until(&mut self, now: u64) -> Option<u64> {
        self.session.throttled_until(now)
    }

    /// True once after the bind completed (a staged submit was released).
    pub fn take_just_bound(&mut self) -> bool {
        self.session.take_just_bound()
    }

    /// Completes the connect, writes what is queued, reads and handles
    /// PDUs. `Err` means the session is gone. The second value is true
    /// when the pass stopped at its budget (or back-pressure was released
    /// within it) with input possibly left: the worker calls again on its
    /// next loop turn without waiting for an event. `rec` takes the
    /// protocol's own counts.
    pub fn on_ready(
        &mut self,
        readable: bool,
        clock: &dyn Fn() -> u64,
        tls: &mut TlsMetrics,
        rec: &mut Recorder,
    ) -> Result<(SmppProgress, bool), ErrorKind> {
        if let Some(kind) = self.broken {
            return Err(kind);
        }
        let was_connected = self.connected;
        if !ready(&mut self.stream, &mut self.connected, readable, clock, tls)? {
            return Ok((SmppProgress::Pending, false));
        }
        if !was_connected {
            self.session.on_connected(clock());
        }
        self.session.flush(&mut self.stream, clock(), rec)?;
        let outcome = self
            .session
            .read(&mut self.stream, false, &mut || clock(), rec);
        let flushed = self.session.flush(&mut self.stream, clock(), rec);
        let progress = match self.session.take_answer() {
            Some(status) => SmppProgress::Answered(status),
            None => SmppProgress::Pending,
        };
        let broke = match (outcome, flushed) {
            (Err(kind), _) | (Ok(_), Err(kind)) => Some(kind),
            (Ok(ReadOutcome::Closed), Ok(())) => Some(ErrorKind::ClosedEarly),
            (Ok(ReadOutcome::Rejected), Ok(())) => match self.session.refusal() {
                Some(status) => return Ok((SmppProgress::BindRefused(status), false)),
                // Closed instead of answering the bind.
                None => Some(ErrorKind::ClosedEarly),
            },
            (Ok(ReadOutcome::Open), Ok(())) => None,
            (Ok(ReadOutcome::Yield), Ok(())) => {
                // A pass held back by a full output buffer resumes once a
                // writable event drains it; one cut at its budget resumes
                // on the next loop turn.
                return Ok((progress, !self.session.read_paused()));
            }
        };
        match broke {
            None => Ok((progress, false)),
            // A submit answered before the break still counts: report it
            // now and the break on the next call (which the worker makes on
            // its next loop turn).
            Some(kind) if progress != SmppProgress::Pending => {
                self.broken = Some(kind);
                Ok((progress, true))
            }
            Some(kind) => Err(kind),
        }
    }
}
