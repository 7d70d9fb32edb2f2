//! Sans-IO HTTP/1.1 client codec for hornet.
//!
//! [`encode_request`] appends a request to a caller's buffer;
//! [`ResponseDecoder`] turns the bytes a connection reads into
//! [`Response`]s. Neither touches sockets, clocks or threads, and decoding
//! does not allocate, so the engine's event loop can drive thousands of
//! connections with one buffer each.
//!
//! ```
//! use hornet_http1::{encode_request, Limits, Request, ResponseDecoder, Status};
//!
//! let mut out = Vec::new();
//! let req = Request { method: "GET", target: "/", host: "example.com", headers: &[], body: b"" };
//! encode_request(&req, &mut out).unwrap();
//! assert_eq!(out, b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n");
//!
//! let mut dec = ResponseDecoder::new(Limits::default());
//! let mut buf = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi".to_vec();
//! match dec.decode(&buf, &mut ()).unwrap() {
//!     Status::Complete { consumed, response } => {
//!         assert_eq!((response.status, response.body_len), (200, 2));
//!         buf.drain(..consumed);
//!     }
//!     Status::Partial { consumed } => { buf.drain(..consumed); /* read more */ }
//! }
//! ```

#![warn(missing_docs)]

#[cfg(test)]
mod alloc_count;
mod chunked;
mod decode;
mod encode;
mod error;
mod framing;
mod limits;

pub use decode::{Response, ResponseDecoder, ResponseHead, Sink, Status};
pub use encode::{encode_request, Request};
pub use error::{DecodeError, EncodeError, HeadError};
pub use httparse::Header;
pub use limits::{Limits, MAX_HEADERS_HARD_CAP};
