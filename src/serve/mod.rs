//! Sockets hornet serves to observers outside the run (today the
//! Prometheus scrape endpoint). Reports render text; this layer owns the
//! listener and the thread that answers scrapes.

pub mod prometheus;
