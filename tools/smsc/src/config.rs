//! How the simulator answers, and how it misbehaves.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use hornet_serverkit::tls::ServerConfig;
use hornet_smpp::{MessageState, HEADER_LEN};

/// Longest accepted delay of any kind; deadlines are `Instant`s and adding
/// an absurd duration to one would overflow.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Configuration of a simulator; see [`crate::start`].
#[derive(Debug, Clone)]
pub struct SmscConfig {
    /// Server threads, each with its own `mio::Poll` and listening socket.
    /// Default 1; 0 is rejected.
    pub threads: usize,
    /// `None` (default): every bind succeeds. `Some((system_id, password))`:
    /// a bind with another system_id fails with `ESME_RINVSYSID`, one with
    /// the right system_id and another password with `ESME_RINVPASWD`; the
    /// connection closes after the failed bind_resp.
    pub credentials: Option<(String, String)>,
    /// How message ids are written in submit_sm_resp (and data_sm_resp,
    /// submit_multi_resp). Ids come from one server-wide counter starting at
    /// 1, so they are unique across threads and connections. Default hex.
    pub message_id_format: IdFormat,
    /// How the same ids are written in receipts (`id:` and the
    /// receipted_message_id TLV). Independent of `message_id_format`; both
    /// default to hex. Hex here and decimal there exercises a client's id
    /// normalisation.
    pub receipt_id_format: IdFormat,
    /// Delay before each submit_sm_resp, driven by the thread's timers, so
    /// with a random latency responses leave out of order. Throttled
    /// submits are answered at once. Default `Fixed(ZERO)`.
    pub latency: Latency,
    /// `Some(n)`: each bind has a token bucket of `n` tokens refilled at `n`
    /// per second (continuously), full at bind time; a submit_sm finding it
    /// empty is answered `ESME_RTHROTTLED`. `Some(0)` throttles everything.
    pub tps_limit: Option<u32>,
    /// Share (0.0..=1.0) of the submit_sm that pass the throttle which are
    /// answered with `error_status` instead of `ESME_ROK` (no message id, no
    /// receipt). Default 0.0.
    pub error_ratio: f64,
    /// Status of injected errors; default `0x08` (`ESME_RSYSERR`). Must not
    /// be 0.
    pub error_status: u32,
    /// When a submit_sm asks for a receipt (`registered_delivery & 0x01`),
    /// the receipt (a deliver_sm with esm_class 0x04) is sent this long
    /// after the submit_sm_resp. It goes to the submitting bind if that can
    /// receive (transceiver or receiver), otherwise to another receiver or
    /// transceiver bind of the same system_id on the same server thread
    /// (round robin); with none it is dropped and counted in
    /// [`SmscCounters::receipts_undeliverable`](crate::SmscCounters::receipts_undeliverable).
    /// Default zero: right after the response.
    pub receipt_delay: Duration,
    /// Final states of receipts, with relative weights; default
    /// `[(Delivered, 1)]`. Weights must not all be zero.
    pub receipt_mix: Vec<(MessageState, u32)>,
    /// Also put the receipted_message_id and message_state TLVs in
    /// receipts. Default true.
    pub receipt_tlvs: bool,
    /// Mobile-originated deliver_sm per second, per receiver-capable bind
    /// (evenly spaced). Default none.
    pub mo_rate: Option<f64>,
    /// The server sends enquire_link on each bind at this interval. Default
    /// none.
    pub enquire_link: Option<Duration>,
    /// Largest accepted `command_length`; a larger one (or one below 16) is
    /// answered with generic_nack `ESME_RINVCMDLEN` and the connection
    /// closes. Default 64 KiB; at least 16.
    pub max_pdu: u32,
    /// Test hook: after the N-th submit_sm on a connection is answered, the
    /// server closes the connection without an unbind; input after that
    /// submit is ignored.
    pub drop_after: Option<u64>,
    /// Test hook: after the N-th submit_sm on a bind is answered, the server
    /// sends unbind and closes the connection once unbind_resp arrives (or
    /// after 1 s). Requests keep being answered meanwhile.
    pub unbind_after: Option<u64>,
    /// `Some`: every accepted connection is TLS (SMPP over TLS), handshaking
    /// inside the thread's event loop before any PDU; a failed handshake
    /// just closes that connection. Build the config with
    /// [`crate::tls::server_config`] and default
    /// [`crate::tls::TlsOptions`] (no ALPN). `None` (the default): plain
    /// TCP.
    pub tls: Option<Arc<ServerConfig>>,
}

/// How a message id is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdFormat {
    /// Upper-case hexadecimal without padding, e.g. `1A2B`.
    #[default]
    Hex,
    /// Decimal without padding, e.g. `6699`.
    Decimal,
}

/// Delay before a submit_sm_resp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Latency {
    /// Always the same delay.
    Fixed(Duration),
    /// Uniformly distributed in `min..=max`.
    Uniform {
        /// Shortest delay.
        min: Duration,
        /// Longest delay.
        max: Duration,
    },
    /// Exponentially distributed with this mean (capped at 20 means).
    Exponential {
        /// Mean delay.
        mean: Duration,
    },
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Fixed(Duration::ZERO)
    }
}

impl Default for SmscConfig {
    fn default() -> Self {
        SmscConfig {
            threads: 1,
            credentials: None,
            message_id_format: IdFormat::Hex,
            receipt_id_format: IdFormat::Hex,
            latency: Latency::default(),
            tps_limit: None,
            error_ratio: 0.0,
            error_status: 0x08,
            receipt_delay: Duration::ZERO,
            receipt_mix: vec![(MessageState::Delivered, 1)],
            receipt_tlvs: true,
            mo_rate: None,
            enquire_link: None,
            max_pdu: hornet_smpp::DEFAULT_MAX_PDU,
            drop_after: None,
            unbind_after: None,
            tls: None,
        }
    }
}

impl SmscConfig {
    /// Rejects settings the server cannot honour, before any socket is bound.
    pub(crate) fn validate(&self) -> io::Result<()> {
        let invalid = |msg: &str| Err(io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned()));
        if self.threads == 0 {
            return invalid("threads must be at least 1");
        }
        if let Some((system_id, password)) = &self.credentials {
            if system_id.len() > 15 || password.len() > 8 {
                return invalid("system_id is at most 15 octets and password at most 8");
            }
        }
        match self.latency {
            Latency::Fixed(d) if d > MAX_DELAY => return invalid("latency must be at most 24h"),
            Latency::Uniform { min, max } if min > max || max > MAX_DELAY => {
                return invalid("uniform latency needs min <= max <= 24h")
            }
            Latency::Exponential { mean } if mean > MAX_DELAY / 20 => {
                return invalid("exponential latency mean must be at most 72m")
            }
            _ => {}
        }
        if !(0.0..=1.0).contains(&self.error_ratio) {
            return invalid("error_ratio must be within 0.0..=1.0");
        }
        if self.error_status == 0 {
            return invalid("error_status must not be 0 (ESME_ROK)");
        }
        if self.receipt_delay > MAX_DELAY {
            return invalid("receipt_delay must be at most 24h");
        }
        if self
            .receipt_mix
            .iter()
            .map(|&(_, w)| u64::from(w))
            .sum::<u64>()
            == 0
        {
            return invalid("receipt_mix needs at least one non-zero weight");
        }
        if let Some(rate) = self.mo_rate {
            if !(rate.is_finite() && rate > 0.0 && rate <= 1_000_000.0) {
                return invalid("mo_rate must be within (0, 1000000] per second");
            }
        }
        if let Some(interval) = self.enquire_link {
            if interval.is_zero() || interval > MAX_DELAY {
                return invalid("enquire_link interval must be within (0, 24h]");
            }
        }
        if (self.max_pdu as usize) < HEADER_LEN || self.max_pdu > 16 * 1024 * 1024 {
            return invalid("max_pdu must be within 16..=16 MiB");
        }
        if self.drop_after == Some(0) || self.unbind_after == Some(0) {
            return invalid("drop_after and unbind_after count from 1");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let c = SmscConfig::default();
        assert_eq!(c.threads, 1);
        assert_eq!(c.max_pdu, 64 * 1024);
        assert_eq!(c.error_status, 0x08);
        assert!(c.receipt_tlvs);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn rejects_nonsense() {
        let ms = Duration::from_millis;
        let cases = [
            SmscConfig {
                threads: 0,
                ..Default::default()
            },
            SmscConfig {
                credentials: Some(("a-very-long-system-id".into(), "pw".into())),
                ..Default::default()
            },
            SmscConfig {
                latency: Latency::Uniform {
                    min: ms(10),
                    max: ms(1),
                },
                ..Default::default()
            },
            SmscConfig {
                latency: Latency::Fixed(Duration::from_secs(u64::MAX)),
                ..Default::default()
            },
            SmscConfig {
                error_ratio: 1.5,
                ..Default::default()
            },
            SmscConfig {
                error_ratio: f64::NAN,
                ..Default::default()
            },
            SmscConfig {
                error_status: 0,
                ..Default::default()
            },
            SmscConfig {
                receipt_mix: vec![(MessageState::Delivered, 0)],
                ..Default::default()
            },
            SmscConfig {
                receipt_mix: vec![],
                ..Default::default()
            },
            SmscConfig {
                mo_rate: Some(0.0),
                ..Default::default()
            },
            SmscConfig {
                enquire_link: Some(Duration::ZERO),
                ..Default::default()
            },
            SmscConfig {
                max_pdu: 8,
                ..Default::default()
            },
            SmscConfig {
                drop_after: Some(0),
                ..Default::default()
            },
        ];
        for c in cases {
            assert_eq!(
                c.validate().unwrap_err().kind(),
                io::ErrorKind::InvalidInput,
                "{c:?}"
            );
        }
    }
}
