use super::*;

#[test]
fn sequence_numbers_wrap_to_one() {
    assert_eq!(next_seq(1), 2);
    assert_eq!(next_seq(MAX_SEQ - 1), MAX_SEQ);
    assert_eq!(next_seq(MAX_SEQ), 1);
}

#[test]
fn outstanding_finds_out_of_order_and_wrapped_answers() {
    let mut o = Outstanding::default();
    let seqs = [MAX_SEQ - 1, MAX_SEQ, 1, 2];
    for (i, &s) in seqs.iter().enumerate() {
        o.push(s, if i % 2 == 0 { Sent::Receipt } else { Sent::Mo });
    }
    assert_eq!(o.take(1), Some(Sent::Receipt));
    assert_eq!(o.take(1), None, "answered twice");
    assert_eq!(o.take(3), None, "never sent");
    assert_eq!(o.take(0), None);
    assert_eq!(o.take(MAX_SEQ - 1), Some(Sent::Receipt));
    assert_eq!(o.take(MAX_SEQ), Some(Sent::Mo));
    assert_eq!(o.slots.len(), 1, "answered front entries are trimmed");
    assert_eq!(o.take(2), Some(Sent::Mo));
    assert!(o.slots.is_empty());
    assert_eq!(o.take(2), None);
}

#[test]
fn outstanding_is_bounded() {
    let mut o = Outstanding::default();
    let mut seq = 1;
    for _ in 0..MAX_OUTSTANDING + 10 {
        o.push(seq, Sent::Receipt);
        seq = next_seq(seq);
    }
    assert_eq!(o.slots.len(), MAX_OUTSTANDING);
    assert_eq!(o.take(5), None, "forgotten");
    assert_eq!(o.take(11), Some(Sent::Receipt));
}

#[test]
fn bucket_refills_continuously() {
    let t0 = Instant::now();
    let mut b = Bucket::new(10, t0);
    assert_eq!((0..15).filter(|_| b.take(t0)).count(), 10);
    assert!(!b.take(t0 + Duration::from_millis(50)));
    assert!(b.take(t0 + Duration::from_millis(110)));
    assert!(!b.take(t0 + Duration::from_millis(110)));
    // Never more than the limit after a long idle time.
    let later = t0 + Duration::from_secs(100);
    assert_eq!((0..15).filter(|_| b.take(later)).count(), 10);
    let mut zero = Bucket::new(0, t0);
    assert!(!zero.take(t0 + Duration::from_secs(1)));
}

/// An endless stream of enquire_link (sequence number 1 each time), handed
/// out in reads of at most 64 KiB.
struct Flood {
    read: usize,
}

impl Read for Flood {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        const PDU: [u8; 16] = [0, 0, 0, 16, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 1];
        let n = buf.len().min(64 * 1024) / 16 * 16;
        for chunk in buf[..n].chunks_exact_mut(16) {
            chunk.copy_from_slice(&PDU);
        }
        self.read += n;
        Ok(n)
    }
}

/// A socket that takes at most `room` more bytes, then blocks.
struct Sink {
    room: usize,
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn with_rt(f: impl FnOnce(&mut Rt<'_>)) {
    let settings = crate::settings::Settings::new(&crate::SmscConfig::default());
    let counters = crate::counters::ThreadCounters::default();
    let ids = std::sync::atomic::AtomicU64::new(1);
    let mut rt = Rt::new(&settings, &counters, &ids, 1);
    f(&mut rt);
}

#[test]
fn a_read_pass_stops_at_its_budget() {
    with_rt(|rt| {
        let mut s = Session::new(0, 1);
        let mut src = Flood { read: 0 };
        let mut budget = READ_BUDGET;
        s.read_from(&mut src, rt, true, &mut budget);
        assert_eq!(src.read, READ_BUDGET);
        assert_eq!(budget, 0);
        assert!(s.take_read_more(), "the worker must come back");
        assert!(!s.take_read_more(), "once");
        assert_eq!(s.out_pending(), READ_BUDGET, "every request answered");
    });
}

#[test]
fn reading_pauses_at_the_high_water_mark_and_resumes_at_the_low_one() {
    with_rt(|rt| {
        let mut s = Session::new(0, 1);
        let mut src = Flood { read: 0 };
        let mut budget = usize::MAX;
        s.read_from(&mut src, rt, true, &mut budget);
        // Paused just past the high-water mark: the last request handled
        // put it over, and the rest of the read buffer waits unhandled.
        assert!(s.read_paused);
        assert!(s.out_pending() > OUT_HIGH_WATER);
        assert!(
            s.out_pending() <= OUT_HIGH_WATER + 16,
            "{}",
            s.out_pending()
        );
        assert!(src.read <= OUT_HIGH_WATER + 2 * 64 * 1024, "{}", src.read);
        assert_eq!(rt.counters.get(Counter::ReadPauses), 1);
        // Reading again while paused reads nothing.
        let before = src.read;
        s.read_from(&mut src, rt, true, &mut budget);
        assert_eq!(src.read, before);
        // Draining to just above the low-water mark is not enough...
        let excess = s.out_pending() - OUT_LOW_WATER - 1;
        s.write_to(&mut Sink { room: excess });
        assert!(!s.resume_reading());
        // ...at the mark it is, once.
        s.write_to(&mut Sink { room: 1 });
        assert!(s.resume_reading());
        assert!(!s.resume_reading());
        s.read_from(&mut src, rt, false, &mut budget);
        assert!(src.read > before, "reads again after resuming");
        assert_eq!(rt.counters.get(Counter::ReadPauses), 2);
    });
}
