//! Per-connection HTTP/1.1 state machine.
//!
//! Sans-IO in spirit: it reads from any `Read`, writes to any `Write` and
//! takes the time as an argument, so unit tests drive it with in-memory
//! buffers. The worker owns the socket and the timer heap and only asks the
//! connection what it wants next.
//!
//! Flow: bytes are read into `inb` until `WouldBlock`; each whole request
//! (head plus skipped body) queues a canned response, either straight into
//! `out` or, with a delay, into `pending` until its deadline. All queued
//! responses go out in as few `write` calls as the socket accepts, so
//! pipelined requests are answered with one syscall.
//!
//! Back-pressure: a client that pipelines requests and never reads stops
//! being read (and its buffered requests stop being handled) once more
//! than [`OUT_HIGH_WATER`] bytes of responses (or too many delayed ones)
//! wait for it, until they drain to [`OUT_LOW_WATER`]. A read pass also
//! ends after [`READ_BUDGET`] bytes, so one fast client cannot keep its
//! thread from the other connections; the worker comes back to it.
//!
//! Demo mode (see [`crate::DemoConfig`]) keeps the same flow but buffers
//! each body and queues a [`Job`] that routes the request when its turn
//! comes. A racy write is a job that waits at the front of `pending` for the
//! race window; requests behind it on the same connection wait too, so a
//! connection's requests are still handled, and answered, strictly in order.

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use crate::demo::{self, Commit, Demo, DemoHead, DemoRequest, Outcome, Response};
use crate::request::{self, Head};
use crate::response::{Canned, Persist, Reply};

/// Initial read buffer; plenty for typical request heads.
const INITIAL_IN: usize = 4 * 1024;
/// Largest request head accepted; a partial head filling this is a 400.
const MAX_HEAD: usize = 64 * 1024;
/// Initial write buffer.
const INITIAL_OUT: usize = 4 * 1024;
/// Stop reading while more than this many response bytes wait for the
/// peer, so a client that pipelines without reading cannot grow memory
/// without bound.
const OUT_HIGH_WATER: usize = 1024 * 1024;
/// Resume reading once the responses waiting for the peer are down to this
/// many bytes (and delayed ones to half their marks): well below the
/// high-water mark, so a slow reader is not switched on and off for every
/// few bytes it takes.
const OUT_LOW_WATER: usize = 256 * 1024;
/// Likewise for delayed responses waiting on their deadlines.
const PENDING_HIGH_WATER: usize = 64 * 1024;
/// Most bytes one `read_from` reads: enough to keep a fast client busy,
/// small enough that a flooding one cannot keep its thread from the other
/// connections and its timers.
pub(crate) const READ_BUDGET: usize = 256 * 1024;
/// How long a closing connection waits for the peer's FIN after ours.
/// Closing with unread input would make the kernel send RST, which can
/// destroy the final response before the client reads it.
pub(crate) const LINGER: Duration = Duration::from_secs(1);

/// Server-wide, read-only settings every connection consults.
#[derive(Debug)]
pub(crate) struct Settings {
    /// Serialized responses.
    pub(crate) canned: Canned,
    /// Response delay; `None` answers at once.
    pub(crate) delay: Option<Duration>,
    /// Close after every n-th response; never `Some(0)`.
    pub(crate) close_every: Option<u64>,
    /// The demo API; `None` answers everything with `canned`.
    pub(crate) demo: Option<Demo>,
}

/// The request whose body is being received.
#[derive(Debug)]
enum Awaiting {
    /// Canned mode: the body is skipped.
    Canned(Reply),
    /// Demo mode: the body is appended to the request.
    Demo(Box<DemoRequest>),
}

/// What answering one request takes, run when it reaches the front of the
/// connection's queue.
#[derive(Debug)]
enum Job {
    /// A canned response.
    Canned(Reply),
    /// A demo request, routed when its turn comes.
    Demo(Box<DemoRequest>),
    /// A finished demo response (refusals).
    Respond {
        response: Response,
        persist: Persist,
        head: bool,
    },
    /// A racy write, applied and answered when its race window ends.
    Commit {
        commit: Commit,
        persist: Persist,
        head: bool,
    },
}

impl Job {
    /// Whether the connection ends after this job's response.
    fn closes(&self) -> bool {
        match self {
            Job::Canned(reply) => reply.closes(),
            Job::Demo(req) => req.persist == Persist::Close,
            Job::Respond { persist, .. } | Job::Commit { persist, .. } => {
                *persist == Persist::Close
            }
        }
    }

    /// Makes the response close the connection (`close_every`). Canned
    /// refusals already close, and keep their own bytes.
    fn force_close(&mut self) {
        match self {
            Job::Canned(Reply::Ok { persist, .. }) => *persist = Persist::Close,
            Job::Canned(_) => {}
            Job::Demo(req) => req.persist = Persist::Close,
            Job::Respond { persist, .. } | Job::Commit { persist, .. } => *persist = Persist::Close,
        }
    }

    /// Bytes the job holds while it waits, for the backlog cap.
    fn weight(&self) -> usize {
        match self {
            Job::Canned(_) | Job::Commit { .. } => 0,
            Job::Demo(req) => req.weight(),
            Job::Respond { response, .. } => response.body.len(),
        }
    }
}

/// A job waiting for its deadline.
#[derive(Debug)]
struct Pending {
    due: Instant,
    job: Job,
}

/// One client connection's protocol state.
#[derive(Debug)]
pub(crate) struct Conn {
    /// Distinguishes this connection from later ones in the same slab slot.
    generation: u64,
    /// Read buffer; `inb[start..filled]` is unparsed input.
    inb: Vec<u8>,
    start: usize,
    filled: usize,
    /// Request body bytes still to skip.
    body_left: u64,
    /// The request whose body is being received.
    awaiting: Option<Awaiting>,
    /// Write buffer; `out[out_pos..]` is unsent.
    out: Vec<u8>,
    out_pos: usize,
    /// Responses in `out` that are not yet fully written.
    unflushed: u64,
    /// Delayed jobs, in request order; deadlines never decrease along the
    /// queue except behind a racy write at the front.
    pending: VecDeque<Pending>,
    /// Sum of the pending jobs' weights.
    pending_bytes: usize,
    /// Responses queued on this connection, for `close_every`.
    queued: u64,
    /// False once a closing response is queued or the peer sent EOF: later
    /// input is read and discarded.
    parsing: bool,
    /// Close once everything queued has been written.
    close_after_flush: bool,
    /// The peer sent FIN.
    peer_eof: bool,
    /// Set once our FIN is sent: force-close at this instant.
    linger_until: Option<Instant>,
    /// Reading (and handling requests) stopped because too much output is
    /// queued; set at the high-water mark, cleared at the low one.
    read_paused: bool,
    /// The last read pass ended on its budget, not on `WouldBlock`: the
    /// socket may hold more, which no new edge will announce.
    read_more: bool,
    /// The earliest deadline already in the timer heap for this connection.
    armed: Option<Instant>,
    /// The socket is unusable (error, reset, or finished); drop it.
    dead: bool,
}

impl Conn {
    /// A fresh connection; `generation` must be unique within its thread.
    pub(crate) fn new(generation: u64) -> Conn {
        Conn {
            generation,
            inb: vec![0; INITIAL_IN],
            start: 0,
            filled: 0,
            body_left: 0,
            awaiting: None,
            out: Vec::with_capacity(INITIAL_OUT),
            out_pos: 0,
            unflushed: 0,
            pending: VecDeque::new(),
            pending_bytes: 0,
            queued: 0,
            parsing: true,
            close_after_flush: false,
            peer_eof: false,
            linger_until: None,
            read_paused: false,
            read_more: false,
            armed: None,
            dead: false,
        }
    }

    /// See [`Conn::new`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the worker should drop the socket now.
    pub(crate) fn is_dead(&self) -> bool {
        self.dead
    }

    /// Reads until `WouldBlock` (or EOF, error, back-pressure, or
    /// [`READ_BUDGET`] bytes), queueing a response for each complete
    /// request. Returns how many requests completed. When the budget ends
    /// the pass, [`Conn::take_read_more`] says so.
    ///
    /// `short_read_drains`: with edge-triggered readiness, a read shorter
    /// than the buffer means the socket was drained at that moment and any
    /// later data raises a new event, so the extra `read` that would only
    /// return `WouldBlock` can be skipped. The caller passes false when the
    /// event already reported the peer's FIN (which must still be read) or
    /// when reading without a fresh event.
    pub(crate) fn read_from<R: Read>(
        &mut self,
        src: &mut R,
        now: Instant,
        settings: &Settings,
        short_read_drains: bool,
    ) -> u64 {
        let mut requests = self.process(now, settings);
        let mut budget = READ_BUDGET;
        while !self.dead && !self.peer_eof {
            if self.pause_if_backlogged() {
                break;
            }
            if budget == 0 {
                self.read_more = true;
                break;
            }
            if !self.parsing {
                // Discarding: reuse the whole buffer as scratch.
                self.start = 0;
                self.filled = 0;
            } else if !self.make_room() {
                self.refuse_malformed(now, settings);
                continue;
            }
            let space = self.inb.len() - self.filled;
            match src.read(&mut self.inb[self.filled..]) {
                Ok(0) => self.on_eof(),
                Ok(n) => {
                    budget = budget.saturating_sub(n);
                    self.filled += n;
                    requests += self.process(now, settings);
                    if short_read_drains && n < space {
                        break;
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                // Resets and other socket errors just end the connection.
                Err(_) => self.dead = true,
            }
        }
        requests
    }

    /// Writes queued output until done or `WouldBlock`. Returns how many
    /// responses were completed by this call.
    pub(crate) fn write_to<W: Write>(&mut self, dst: &mut W) -> u64 {
        while self.out_pos < self.out.len() {
            match dst.write(&self.out[self.out_pos..]) {
                Ok(0) => {
                    self.dead = true;
                    return 0;
                }
                Ok(n) => self.out_pos += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return 0,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => {
                    self.dead = true;
                    return 0;
                }
            }
        }
        // Responses count as written only once the buffer drains; partial
        // writes keep them pending so the count stays exact.
        self.out.clear();
        self.out_pos = 0;
        std::mem::take(&mut self.unflushed)
    }

    /// Handles a timer: moves due delayed responses to the write buffer and
    /// ends a linger that ran out.
    pub(crate) fn on_timer(&mut self, now: Instant, settings: &Settings) {
        self.armed = None;
        while self.pending.front().is_some_and(|p| p.due <= now) {
            let Some(p) = self.pending.pop_front() else {
                break;
            };
            self.pending_bytes -= p.job.weight();
            if let Some(racy) = self.run(p.job, now, settings) {
                // A racy write now holds the front for its window; the
                // loop stops there, as its deadline is still ahead.
                self.pending_bytes += racy.job.weight();
                self.pending.push_front(racy);
            }
        }
        if self.linger_until.is_some_and(|t| t <= now) {
            self.dead = true;
        }
    }

    /// True once when reading was paused by back-pressure and the backlog
    /// has drained to the low-water mark: the caller must read again now.
    pub(crate) fn resume_reading(&mut self) -> bool {
        if self.read_paused && self.drained() {
            self.read_paused = false;
            return true;
        }
        false
    }

    /// True once after a read pass that ended on its budget: the worker
    /// must come back to read more without waiting for an event.
    pub(crate) fn take_read_more(&mut self) -> bool {
        std::mem::take(&mut self.read_more)
    }

    /// Response bytes queued and not yet accepted by the socket.
    pub(crate) fn out_pending(&self) -> usize {
        self.out.len() - self.out_pos
    }

    /// After output is flushed on a closing connection: true once when the
    /// worker should send FIN (`shutdown(Write)`) and start lingering; marks
    /// the connection dead instead if the peer already closed its side.
    pub(crate) fn half_close_due(&mut self, now: Instant) -> bool {
        let flushed = self.pending.is_empty() && self.out_pos == self.out.len();
        if self.dead || !self.close_after_flush || !flushed {
            return false;
        }
        if self.peer_eof {
            // Both sides are done (the peer closed first, or answered our
            // FIN during the linger): nothing is left to protect.
            self.dead = true;
            return false;
        }
        if self.linger_until.is_some() {
            return false;
        }
        self.linger_until = Some(now + LINGER);
        true
    }

    /// A deadline the worker must add to the timer heap, if one is needed
    /// and not already covered by an earlier armed timer.
    pub(crate) fn timer_to_arm(&mut self) -> Option<Instant> {
        let want = match (self.pending.front().map(|p| p.due), self.linger_until) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        if self.armed.is_some_and(|armed| armed <= want) {
            return None;
        }
        self.armed = Some(want);
        Some(want)
    }

    /// Parses what is buffered; returns how many requests completed.
    fn process(&mut self, now: Instant, settings: &Settings) -> u64 {
        let mut done = 0;
        while self.parsing && !self.pause_if_backlogged() {
            if self.body_left > 0 {
                let avail = (self.filled - self.start) as u64;
                let take = avail.min(self.body_left) as usize;
                if let Some(Awaiting::Demo(req)) = &mut self.awaiting {
                    req.body
                        .extend_from_slice(&self.inb[self.start..self.start + take]);
                }
                self.start += take;
                self.body_left -= take as u64;
                if self.body_left > 0 {
                    break;
                }
            }
            if let Some(awaiting) = self.awaiting.take() {
                done += 1;
                let job = match awaiting {
                    Awaiting::Canned(reply) => Job::Canned(reply),
                    Awaiting::Demo(req) => Job::Demo(req),
                };
                self.queue(job, now, settings);
                continue;
            }
            if self.start == self.filled {
                break;
            }
            let input = &self.inb[self.start..self.filled];
            if settings.demo.is_some() {
                match demo::parse(input) {
                    DemoHead::Partial => break,
                    DemoHead::Complete { len, body, req } => {
                        self.start += len;
                        self.body_left = body;
                        self.awaiting = Some(Awaiting::Demo(req));
                    }
                    DemoHead::Refused(response) => self.refuse(response, now, settings),
                }
                continue;
            }
            match request::parse(input) {
                Head::Partial => break,
                Head::Complete { len, body, reply } => {
                    self.start += len;
                    self.body_left = body;
                    self.awaiting = Some(Awaiting::Canned(reply));
                }
                Head::Refused(reply) => self.queue(Job::Canned(reply), now, settings),
            }
        }
        if self.start == self.filled {
            self.start = 0;
            self.filled = 0;
        }
        done
    }

    /// Makes space to read into: compacts, then grows up to `MAX_HEAD`.
    /// False if a partial head already fills `MAX_HEAD`.
    fn make_room(&mut self) -> bool {
        if self.filled < self.inb.len() {
            return true;
        }
        if self.start > 0 {
            self.inb.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
            return true;
        }
        if self.inb.len() >= MAX_HEAD {
            return false;
        }
        let len = (self.inb.len() * 2).min(MAX_HEAD);
        self.inb.resize(len, 0);
        true
    }

    /// Answers a demo refusal; the connection closes after it.
    fn refuse(&mut self, response: Response, now: Instant, settings: &Settings) {
        let job = Job::Respond {
            response,
            persist: Persist::Close,
            head: false,
        };
        self.queue(job, now, settings);
    }

    /// Answers a head too large to parse, in the server's mode.
    fn refuse_malformed(&mut self, now: Instant, settings: &Settings) {
        if settings.demo.is_some() {
            self.refuse(
                Response::error(400, "request head too large"),
                now,
                settings,
            );
        } else {
            self.queue(Job::Canned(Reply::BadRequest), now, settings);
        }
    }

    /// Queues the job answering one request, applying `close_every` and
    /// delay. Without a delay and with nothing queued before it, the job
    /// runs at once.
    fn queue(&mut self, mut job: Job, now: Instant, settings: &Settings) {
        self.queued += 1;
        if settings.close_every.is_some_and(|n| self.queued % n == 0) {
            job.force_close();
        }
        if job.closes() {
            // Nothing after a closing response is answered.
            self.parsing = false;
            self.close_after_flush = true;
            self.start = 0;
            self.filled = 0;
            self.body_left = 0;
            self.awaiting = None;
        }
        if settings.delay.is_none() && self.pending.is_empty() {
            if let Some(racy) = self.run(job, now, settings) {
                self.pending_bytes += racy.job.weight();
                self.pending.push_back(racy);
            }
            return;
        }
        // Behind other jobs (or delayed): wait, in order. A job never comes
        // due before the one ahead of it.
        let due = now + settings.delay.unwrap_or_default();
        let due = self.pending.back().map_or(due, |p| p.due.max(due));
        self.pending_bytes += job.weight();
        self.pending.push_back(Pending { due, job });
    }

    /// Runs a job that reached the front of the queue: appends its response
    /// to the write buffer, or returns the racy write it turned into, which
    /// must wait at the front until its window ends.
    fn run(&mut self, job: Job, now: Instant, settings: &Settings) -> Option<Pending> {
        let (response, persist, head) = match job {
            Job::Canned(reply) => {
                self.out.extend_from_slice(settings.canned.bytes(reply));
                self.unflushed += 1;
                return None;
            }
            Job::Respond {
                response,
                persist,
                head,
            } => (response, persist, head),
            Job::Demo(req) => {
                let (persist, head) = (req.persist, req.head);
                match settings.demo.as_ref().map(|demo| demo.handle(&req)) {
                    Some(Outcome::Now(response)) => (response, persist, head),
                    Some(Outcome::Later(commit)) => {
                        let window = settings.demo.as_ref().map(Demo::race_window);
                        return Some(Pending {
                            due: now + window.unwrap_or_default(),
                            job: Job::Commit {
                                commit,
                                persist,
                                head,
                            },
                        });
                    }
                    // Demo jobs exist only when the demo does.
                    None => (Response::error(500, "demo mode is off"), persist, head),
                }
            }
            Job::Commit {
                commit,
                persist,
                head,
            } => match &settings.demo {
                Some(demo) => (demo.commit(commit), persist, head),
                None => (Response::error(500, "demo mode is off"), persist, head),
            },
        };
        response.write_to(&mut self.out, persist, head);
        self.unflushed += 1;
        None
    }

    fn on_eof(&mut self) {
        // Answer what was received in full, then close; a half-received
        // request can never complete.
        self.peer_eof = true;
        self.parsing = false;
        self.close_after_flush = true;
        self.awaiting = None;
        self.body_left = 0;
    }

    /// Over a high-water mark: too many response bytes or delayed
    /// responses queued for the peer.
    fn backlogged(&self) -> bool {
        self.out_pending() > OUT_HIGH_WATER
            || self.pending.len() > PENDING_HIGH_WATER
            || self.pending_bytes > OUT_HIGH_WATER
    }

    /// Down to every low-water mark: reading may resume.
    fn drained(&self) -> bool {
        self.out_pending() <= OUT_LOW_WATER
            && self.pending.len() <= PENDING_HIGH_WATER / 2
            && self.pending_bytes <= OUT_LOW_WATER
    }

    /// True while reading is paused; pauses it on reaching a high-water
    /// mark.
    fn pause_if_backlogged(&mut self) -> bool {
        if !self.read_paused && self.backlogged() {
            self.read_paused = true;
        }
        self.read_paused
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// A fake socket: reads come from a script of chunks, then `WouldBlock`
    /// (or EOF); writes accept at most `write_limit` bytes per call.
    struct Script {
        chunks: VecDeque<Vec<u8>>,
        eof: bool,
        written: Vec<u8>,
        write_limit: usize,
    }

    impl Script {
        fn new(chunks: &[&[u8]]) -> Script {
            Script {
                chunks: chunks.iter().map(|c| c.to_vec()).collect(),
                eof: false,
                written: Vec::new(),
                write_limit: usize::MAX,
            }
        }
    }

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let Some(mut chunk) = self.chunks.pop_front() else {
                return if self.eof {
                    Ok(0)
                } else {
                    Err(ErrorKind::WouldBlock.into())
                };
            };
            let n = chunk.len().min(buf.len());
            buf[..n].copy_from_slice(&chunk[..n]);
            if n < chunk.len() {
                self.chunks.push_front(chunk.split_off(n));
            }
            Ok(n)
        }
    }

    impl Write for Script {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.write_limit == 0 {
                return Err(ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.write_limit);
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn settings(delay: Option<Duration>, close_every: Option<u64>) -> Settings {
        Settings {
            canned: Canned::new(200, 2),
            delay,
            close_every,
            demo: None,
        }
    }

    const OK: &str = "HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nHe";
    const OK_CLOSE: &str = "HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nHe";

    #[test]
    fn pipelined_requests_split_anywhere_are_answered_in_order() {
        let s = settings(None, None);
        let input = b"GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nbodyHEAD / HTTP/1.1\r\n\r\n";
        let head = "HTTP/1.1 200 OK\r\nServer: hornet-target\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n";
        for split in 1..input.len() {
            let mut sock = Script::new(&[&input[..split], &input[split..]]);
            let mut conn = Conn::new(1);
            let n = conn.read_from(&mut sock, Instant::now(), &s, false);
            assert_eq!(n, 3, "split at {split}");
            assert_eq!(conn.write_to(&mut sock), 3);
            assert_eq!(
                String::from_utf8(sock.written).unwrap(),
                format!("{OK}{OK}{head}")
            );
        }
    }

    #[test]
    fn body_spanning_reads_counts_once() {
        let s = settings(None, None);
        let mut sock = Script::new(&[b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n01234"]);
        let mut conn = Conn::new(1);
        assert_eq!(conn.read_from(&mut sock, Instant::now(), &s, false), 0);
        sock.chunks.push_back(b"56789".to_vec());
        assert_eq!(conn.read_from(&mut sock, Instant::now(), &s, false), 1);
        assert_eq!(conn.write_to(&mut sock), 1);
    }

    #[test]
    fn partial_writes_count_responses_when_drained() {
        let s = settings(None, None);
        let mut sock = Script::new(&[b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"]);
        sock.write_limit = 50;
        let mut conn = Conn::new(1);
        assert_eq!(conn.read_from(&mut sock, Instant::now(), &s, false), 2);
        sock.write_limit = 0;
        assert_eq!(conn.write_to(&mut sock), 0);
        sock.write_limit = 7;
        assert_eq!(conn.write_to(&mut sock), 2);
        assert_eq!(
            String::from_utf8(sock.written).unwrap(),
            format!("{OK}{OK}")
        );
    }

    #[test]
    fn malformed_and_chunked_requests_close() {
        let s = settings(None, None);
        for (input, status) in [
            (&b"GET / HTTP/1.1\r\n\r\nBAD\x01 / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"[..], "400 Bad Request"),
            (&b"GET / HTTP/1.1\r\n\r\nPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"[..], "501 Not Implemented"),
        ] {
            let mut sock = Script::new(&[input]);
            let mut conn = Conn::new(1);
            let now = Instant::now();
            assert_eq!(conn.read_from(&mut sock, now, &s, false), 1);
            assert_eq!(conn.write_to(&mut sock), 2);
            let text = String::from_utf8(sock.written.clone()).unwrap();
            assert!(text.starts_with(OK));
            assert!(text[OK.len()..].starts_with(&format!("HTTP/1.1 {status}\r\n")));
            assert!(text.ends_with("Connection: close\r\n\r\n"));
            assert!(conn.half_close_due(now));
            assert!(!conn.half_close_due(now));
            assert_eq!(conn.timer_to_arm(), Some(now + LINGER));
            conn.on_timer(now + LINGER, &s);
            assert!(conn.is_dead());
        }
    }

    #[test]
    fn linger_ends_at_peer_eof() {
        let s = settings(None, None);
        let mut sock = Script::new(&[b"GET / HTTP/1.1\r\nConnection: close\r\n\r\nextra"]);
        let mut conn = Conn::new(1);
        let now = Instant::now();
        assert_eq!(conn.read_from(&mut sock, now, &s, false), 1);
        assert_eq!(conn.write_to(&mut sock), 1);
        assert!(conn.half_close_due(now));
        sock.chunks.push_back(b"ignored".to_vec());
        sock.eof = true;
        assert_eq!(conn.read_from(&mut sock, now, &s, false), 0);
        assert!(!conn.half_close_due(now));
        assert!(conn.is_dead());
    }

    #[test]
    fn oversized_head_is_refused() {
        let s = settings(None, None);
        let big = vec![b'a'; MAX_HEAD + 10];
        let mut sock = Script::new(&[b"GET /", &big]);
        let mut conn = Conn::new(1);
        assert_eq!(conn.read_from(&mut sock, Instant::now(), &s, false), 0);
        conn.write_to(&mut sock);
        assert!(sock.written.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
    }

    #[test]
    fn close_every_and_eof() {
        let s = settings(None, Some(2));
        let mut sock =
            Script::new(&[b"GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"]);
        sock.eof = true;
        let mut conn = Conn::new(1);
        let now = Instant::now();
        assert_eq!(conn.read_from(&mut sock, now, &s, false), 2);
        assert_eq!(conn.write_to(&mut sock), 2);
        assert_eq!(
            String::from_utf8(sock.written.clone()).unwrap(),
            format!("{OK}{OK_CLOSE}")
        );
        assert!(!conn.half_close_due(now), "peer already closed: no linger");
        assert!(conn.is_dead());
    }

    #[test]
    fn delayed_responses_wait_for_their_deadline() {
        let delay = Duration::from_millis(50);
        let s = settings(Some(delay), None);
        let t0 = Instant::now();
        let mut sock = Script::new(&[b"GET / HTTP/1.1\r\n\r\n"]);
        let mut conn = Conn::new(1);
        assert_eq!(conn.read_from(&mut sock, t0, &s, false), 1);
        assert_eq!(conn.write_to(&mut sock), 0);
        assert_eq!(conn.timer_to_arm(), Some(t0 + delay));
        let t1 = t0 + Duration::from_millis(10);
        sock.chunks.push_back(b"GET / HTTP/1.1\r\n\r\n".to_vec());
        assert_eq!(conn.read_from(&mut sock, t1, &s, false), 1);
        assert_eq!(conn.timer_to_arm(), None, "earlier timer already armed");
        conn.on_timer(t0 + delay, &s);
        assert_eq!(conn.write_to(&mut sock), 1);
        assert_eq!(conn.timer_to_arm(), Some(t1 + delay));
        conn.on_timer(t1 + delay, &s);
        assert_eq!(conn.write_to(&mut sock), 1);
        assert_eq!(conn.timer_to_arm(), None);
    }

    #[test]
    fn racy_writes_hold_the_queue_in_order() {
        let window = Duration::from_millis(10);
        let s = Settings {
            demo: Some(Demo::new(crate::DemoConfig {
                racy: true,
                race_window: window,
                ..Default::default()
            })),
            ..settings(None, None)
        };
        let product = br#"{"name":"p","price":1,"stock":5}"#;
        let order = br#"{"product_id":1}"#;
        let mut input = format!(
            "POST /products HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
            product.len()
        )
        .into_bytes();
        input.extend_from_slice(product);
        for _ in 0..2 {
            input.extend_from_slice(
                format!(
                    "POST /orders HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
                    order.len()
                )
                .as_bytes(),
            );
            input.extend_from_slice(order);
        }
        input.extend_from_slice(b"GET /products/1 HTTP/1.1\r\n\r\n");
        let mut sock = Script::new(&[&input]);
        let mut conn = Conn::new(1);
        let t0 = Instant::now();
        assert_eq!(conn.read_from(&mut sock, t0, &s, false), 4);
        // The product is created at once; the first order holds the queue.
        assert_eq!(conn.write_to(&mut sock), 1);
        assert_eq!(conn.timer_to_arm(), Some(t0 + window));
        conn.on_timer(t0 + window - Duration::from_millis(1), &s);
        assert_eq!(conn.write_to(&mut sock), 0);
        // The first order commits; the second is read only now, and holds
        // the queue for its own window.
        conn.on_timer(t0 + window, &s);
        assert_eq!(conn.write_to(&mut sock), 1);
        assert_eq!(conn.timer_to_arm(), Some(t0 + 2 * window));
        conn.on_timer(t0 + 2 * window, &s);
        assert_eq!(conn.write_to(&mut sock), 2);
        assert_eq!(conn.timer_to_arm(), None);
        let text = String::from_utf8(sock.written).unwrap();
        let bodies: Vec<&str> = text
            .split("\r\n\r\n")
            .skip(1)
            .map(|b| b.split("HTTP/1.1").next().unwrap())
            .collect();
        assert_eq!(
            bodies,
            [
                r#"{"id":1,"name":"p","price":1,"stock":5}"#,
                r#"{"id":1,"product_id":1,"quantity":1,"status":"created"}"#,
                r#"{"id":2,"product_id":1,"quantity":1,"status":"created"}"#,
                r#"{"id":1,"name":"p","price":1,"stock":3}"#,
            ]
        );
    }

    #[test]
    fn backpressure_pauses_and_resumes_reading() {
        let s = Settings {
            canned: Canned::new(200, 300 * 1024),
            delay: None,
            close_every: None,
            demo: None,
        };
        let reqs = b"GET / HTTP/1.1\r\n\r\n".repeat(10);
        let mut sock = Script::new(&[&reqs]);
        sock.write_limit = 0;
        let mut conn = Conn::new(1);
        let now = Instant::now();
        assert_eq!(conn.read_from(&mut sock, now, &s, false), 4);
        assert!(!conn.resume_reading());
        sock.write_limit = usize::MAX;
        assert_eq!(conn.write_to(&mut sock), 4);
        assert!(conn.resume_reading());
        assert_eq!(conn.read_from(&mut sock, now, &s, false), 4);
        assert_eq!(conn.write_to(&mut sock), 4);
        assert!(conn.resume_reading());
        assert_eq!(conn.read_from(&mut sock, now, &s, false), 2);
        assert_eq!(conn.write_to(&mut sock), 2);
        assert!(!conn.resume_reading());
    }

    #[test]
    fn a_read_pass_stops_at_its_budget_and_resumes_at_the_low_water_mark() {
        let s = Settings {
            canned: Canned::new(200, 13),
            delay: None,
            close_every: None,
            demo: None,
        };
        // Requests padded so that their answers stay under the high-water
        // mark, in a pipeline of twice the budget.
        let mut one = b"GET / HTTP/1.1\r\nX-Pad: ".to_vec();
        one.extend_from_slice(&[b'p'; 200]);
        one.extend_from_slice(b"\r\n\r\n");
        let per = one.len();
        let reqs = one.repeat(2 * READ_BUDGET / per);
        let mut sock = Script::new(&[&reqs]);
        let mut conn = Conn::new(1);
        let now = Instant::now();
        let n = conn.read_from(&mut sock, now, &s, true) as usize;
        assert!(conn.take_read_more(), "the worker must come back");
        assert!(!conn.take_read_more(), "once");
        assert!(!conn.read_paused);
        // The last read may end past the budget, by at most one buffer.
        assert!(
            n * per > READ_BUDGET - per && n * per < READ_BUDGET + MAX_HEAD,
            "{n}"
        );
        // Paused past the high-water mark, resumed only at the low one.
        let big = Settings {
            canned: Canned::new(200, 64 * 1024),
            ..s
        };
        let mut conn = Conn::new(2);
        let mut sock = Script::new(&[&reqs]);
        conn.read_from(&mut sock, now, &big, true);
        assert!(conn.read_paused);
        let queued = conn.out_pending();
        assert!(queued > OUT_HIGH_WATER && queued < OUT_HIGH_WATER + 65 * 1024);
        conn.write_to(&mut Room(queued - OUT_LOW_WATER - 1));
        assert!(!conn.resume_reading(), "still above the low-water mark");
        conn.write_to(&mut Room(1));
        assert!(conn.resume_reading());
        assert!(!conn.resume_reading());
    }

    /// A socket with room for this many more bytes, then `WouldBlock`.
    struct Room(usize);

    impl Write for Room {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}
