//! The render buffer of a slot: a profile user's requests are rendered
//! into the slot's own buffer and written from where they lie, so a
//! request costs no allocation or copy; the buffer is emptied (capacity
//! kept) whenever no queued exchange refers to it.

use hornet_http1::Sink;

use super::{HttpConn, RequestBytes};

/// A render buffer whose queued requests start this far in is compacted
/// (only a slot that never empties its queue gets there).
const RENDER_COMPACT: usize = 64 * 1024;

impl<C: Sink> HttpConn<C> {
    /// The buffer the next request is rendered into: what is appended
    /// after the last [`HttpConn::push_rendered`] becomes the next request.
    /// A render that fails truncates back to where it started.
    pub fn render_buf(&mut self) -> &mut Vec<u8> {
        &mut self.rendered
    }

    /// Assigns the request rendered into [`HttpConn::render_buf`] since the
    /// last call (`head`: a HEAD request).
    pub fn push_rendered(&mut self, intended: u64, head: bool) {
        let start = self.claimed.min(self.rendered.len());
        let end = self.rendered.len();
        self.claimed = end;
        self.push_exchange(intended, RequestBytes::Rendered { start, end }, head);
    }

    /// Frees a render buffer larger than `keep` bytes while no request
    /// needs it (a profile user about to think for a while).
    pub fn release_render_buf(&mut self, keep: usize) {
        if self.claimed == 0 && self.rendered.capacity() > keep {
            self.rendered = Vec::new();
        }
    }

    /// After exchanges left the queue: empties the render buffer when no
    /// queued exchange refers to it any more (it keeps its capacity), or
    /// compacts it when the oldest rendered request lies far in.
    pub(super) fn settle_rendered(&mut self) {
        if self.claimed == 0 {
            return;
        }
        let first = self.queue.iter().find_map(|ex| match ex.request {
            RequestBytes::Rendered { start, .. } => Some(start),
            _ => None,
        });
        match first {
            None => {
                // Bytes rendered but not yet pushed stay.
                self.rendered.drain(..self.claimed.min(self.rendered.len()));
                self.claimed = 0;
            }
            Some(first) if first >= RENDER_COMPACT => {
                self.rendered.drain(..first);
                self.claimed -= first;
                for ex in self.queue.iter_mut() {
                    if let RequestBytes::Rendered { start, end } = &mut ex.request {
                        *start -= first;
                        *end -= first;
                    }
                }
            }
            Some(_) => {}
        }
    }
}
