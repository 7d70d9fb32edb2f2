//! A blocking rustls client for tests that talk to a TLS test server
//! directly: a [`StreamOwned`] over a std [`TcpStream`] with read and write
//! timeouts, so a broken server fails a test instead of hanging it.

use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::aws_lc_rs;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned, SupportedProtocolVersion};

use crate::{Ca, Leaf};

/// How long a [`connect`]ed socket waits for the server on a read or a
/// write before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// A blocking TLS client connection.
pub type Stream = StreamOwned<ClientConnection, TcpStream>;

/// A client configuration trusting only `ca`, speaking `versions` (e.g.
/// [`rustls::DEFAULT_VERSIONS`]) and presenting `cert` when given (mutual
/// TLS). No ALPN: a test that wants it sets `alpn_protocols`.
pub fn config(
    ca: &Ca,
    cert: Option<&Leaf>,
    versions: &[&'static SupportedProtocolVersion],
) -> ClientConfig {
    // An explicit provider rather than the process default, as the servers
    // under test do: nothing depends on which provider some crate installed.
    let builder = ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_root_certificates(ca.roots());
    match cert {
        Some(cert) => builder
            .with_client_auth_cert(cert.chain(), cert.key_der())
            .expect("client certificate"),
        None => builder.with_no_client_auth(),
    }
}

/// Connects to `addr` and starts TLS for the name `localhost` (what test
/// certificates cover, see [`crate::SERVER_NAMES`]). The handshake runs
/// lazily, on the first read or write.
pub fn connect(addr: SocketAddr, config: &Arc<ClientConfig>) -> Stream {
    let sock = TcpStream::connect(addr).expect("connect");
    sock.set_read_timeout(Some(TIMEOUT)).expect("read timeout");
    sock.set_write_timeout(Some(TIMEOUT))
        .expect("write timeout");
    let name = ServerName::try_from("localhost").expect("literal");
    let conn = ClientConnection::new(Arc::clone(config), name).expect("client connection");
    StreamOwned::new(conn, sock)
}
