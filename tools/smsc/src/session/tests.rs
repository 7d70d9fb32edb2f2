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
