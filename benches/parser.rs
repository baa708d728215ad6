//! Parser micro-benchmarks: the I/O floor in-process (unfold + count, as
//! `../shared/bench/peers/floor.rs`), the content-line reader, and the whole
//! `engine::parse_calendar` on the 1k and 10k generated feeds.

mod common;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

/// floor.rs's loop: unfold RFC 5545 lines and count BEGIN:VEVENT, the cost to beat.
fn floor(buf: &[u8]) -> (usize, usize) {
    let (mut events, mut lines) = (0usize, 0usize);
    let mut cur: Vec<u8> = Vec::with_capacity(4096);
    let mut flush = |cur: &mut Vec<u8>| {
        if !cur.is_empty() {
            lines += 1;
            if cur.as_slice() == b"BEGIN:VEVENT" {
                events += 1;
            }
            cur.clear();
        }
    };
    for raw in buf.split(|&c| c == b'\n') {
        let l = raw.strip_suffix(b"\r").unwrap_or(raw);
        if let Some(&c) = l.first() {
            if c == b' ' || c == b'\t' {
                cur.extend_from_slice(&l[1..]);
                continue;
            }
        }
        flush(&mut cur);
        cur.extend_from_slice(l);
    }
    flush(&mut cur);
    (events, lines)
}

fn parser(c: &mut Criterion) {
    let mut g = c.benchmark_group("parser");
    g.sample_size(20);
    for events in [1000, 10000] {
        let data = common::iana_feed(events);
        g.throughput(Throughput::Bytes(data.len() as u64));
        g.bench_with_input(BenchmarkId::new("floor", events), &data, |b, d| {
            b.iter(|| floor(black_box(d)))
        });
        g.bench_with_input(BenchmarkId::new("ics_lines", events), &data, |b, d| {
            b.iter(|| rapport::calendar::ics::lines(black_box(d)).count())
        });
        g.bench_with_input(BenchmarkId::new("parse_calendar", events), &data, |b, d| {
            b.iter(|| rapport::calendar::parse_calendar("bench", black_box(d)))
        });
    }
    g.finish();
}

criterion_group!(benches, parser);
criterion_main!(benches);
