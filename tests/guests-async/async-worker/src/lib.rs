//! Exports `meld:async-fixtures/worker`: async functions that return at
//! once, after one yield, after a loop of yields, and one with more
//! parameters than an async lower passes flat and a record result.

wit_bindgen::generate!({ path: "../wit", world: "worker-world" });

use exports::meld::async_fixtures::worker::{Guest, Summary};

struct Worker;

impl Guest for Worker {
    async fn ready(a: u32, b: u32) -> u32 {
        a.wrapping_add(b)
    }

    async fn later(a: u32, b: u32) -> u32 {
        wit_bindgen::yield_async().await;
        a.wrapping_mul(b)
    }

    async fn spin(n: u8) -> u32 {
        let mut resumed = 0;
        for _ in 0..n {
            wit_bindgen::yield_async().await;
            resumed += 1;
        }
        resumed
    }

    async fn combine(a: u32, b: u64, c: String, d: f32, e: Vec<u8>, f: i8, g: bool) -> Summary {
        let bytes: u64 = e.iter().map(|byte| u64::from(*byte)).sum();
        let total = u64::from(a)
            .wrapping_add(b)
            .wrapping_add(bytes)
            .wrapping_add(f as u64);
        Summary {
            total,
            text: format!("{c}/{}/{g}", e.len()),
            count: u32::try_from(c.chars().count()).unwrap_or(u32::MAX),
            scaled: f64::from(d) * 2.0,
        }
    }
}

export!(Worker);
