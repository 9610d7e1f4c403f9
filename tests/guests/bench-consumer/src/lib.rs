//! Imports `scalars`, `text`, `shapes`, `sequences` and `utf16-strings`;
//! exports `bench`, whose functions call the providers in a loop
//! (`n % 16384` times, fewer for the long strings and the lists), for the
//! runtime benchmark of composed against fused components.

wit_bindgen::generate!({ path: "../wit", world: "bench-consumer" });

use exports::meld::fixtures::bench::Guest;
use meld::fixtures::sequences::{self, Entry};
use meld::fixtures::shapes::{self, Point};
use meld::fixtures::{scalars, text, utf16_strings};

/// Bounds the loops so that any argument runs quickly.
const MAX_ROUNDS: u32 = 16384;

/// The string sent on every round trip: 100 bytes, a few non-ASCII.
const PAYLOAD: &str =
    "The quick brown fox jumps over the lazy dog; Größe, 東京, naïve café — 0123456789 abcdefghi!";

/// Ten ASCII bytes.
const SHORT: &str = "0123456789";

/// 98 bytes, mostly 2-, 3- and 4-byte characters.
const WIDE: &str = "Größe 東京 😀 naïve — 日本語 ✓ ü 🎵 é; Größe 東京 😀 naïve — 日本語 ";

/// `s` echoed `rounds` times: the sum of the lengths that came back.
fn echoes(s: &str, rounds: u32) -> u32 {
    (0..rounds).fold(0u32, |total, _| {
        total.wrapping_add(text::echo(s).len() as u32)
    })
}

struct Bench;

impl Guest for Bench {
    fn bench_scalars(n: u32) -> u64 {
        (0..n % MAX_ROUNDS).fold(0, |acc, i| scalars::add_u64(acc, u64::from(i)))
    }

    fn bench_strings(n: u32) -> u32 {
        let mut total = 0u32;
        for _ in 0..n % MAX_ROUNDS {
            let back = text::echo(PAYLOAD);
            total = total.wrapping_add(back.len() as u32);
        }
        total
    }

    fn bench_short_strings(n: u32) -> u32 {
        echoes(SHORT, n % MAX_ROUNDS)
    }

    fn bench_long_strings(n: u32) -> u32 {
        let long: String = PAYLOAD
            .chars()
            .filter(char::is_ascii)
            .cycle()
            .take(10 * 1024)
            .collect();
        echoes(&long, n % MAX_ROUNDS / 64)
    }

    fn bench_wide_strings(n: u32) -> u32 {
        echoes(WIDE, n % MAX_ROUNDS)
    }

    fn bench_string_lists(n: u32) -> u32 {
        let words: Vec<String> = (0..1000).map(|i| format!("word{i}")).collect();
        let line = words.join(" ");
        (0..n % MAX_ROUNDS / 1024).fold(0u32, |total, _| {
            let parts = text::split(&line, ' ');
            total.wrapping_add(text::join(&parts, " ").len() as u32)
        })
    }

    fn bench_transcode(n: u32) -> u32 {
        (0..n % MAX_ROUNDS).fold(0u32, |total, _| {
            total.wrapping_add(utf16_strings::echo(PAYLOAD).len() as u32)
        })
    }

    fn bench_record_lists(n: u32) -> u32 {
        let mut entries: Vec<Entry> = (0..1000)
            .map(|i| Entry {
                name: format!("entry {i}"),
                tags: Vec::new(),
            })
            .collect();
        for _ in 0..n % MAX_ROUNDS / 1024 {
            entries = sequences::echo_entries(&entries);
        }
        entries.iter().fold(0u32, |total, e| {
            total.wrapping_add(e.name.len() as u32)
        })
    }

    fn bench_records(n: u32) -> u32 {
        let mut points: Vec<Point> = (0..8).map(|i| Point { x: i, y: -i }).collect();
        for _ in 0..n % MAX_ROUNDS {
            points = shapes::translate_all(&points, 1, -1);
        }
        points.iter().fold(0u32, |acc, p| {
            acc.wrapping_add(p.x.wrapping_sub(p.y).cast_unsigned())
        })
    }

    fn churn(mib: u32) -> u64 {
        const MIB: usize = 1 << 20;
        let mut sum = 0u64;
        for round in 0..8u8 {
            let blocks: Vec<Vec<u8>> = (0..mib % 16)
                .map(|i| vec![round.wrapping_add(i as u8); MIB])
                .collect();
            sum += blocks
                .iter()
                .map(|b| u64::from(b[0]) + u64::from(b[MIB - 1]))
                .sum::<u64>();
        }
        sum
    }

    fn reserve(mib: u32) -> bool {
        let mut v: Vec<u8> = Vec::new();
        v.try_reserve_exact((mib % 32) as usize * (1 << 20)).is_ok()
    }
}

export!(Bench);
