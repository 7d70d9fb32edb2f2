//! Connection state machines that drive the codecs. They own no socket and
//! read no clock: the worker hands them a stream and the current time.

pub mod http;
