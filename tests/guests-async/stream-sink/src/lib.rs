//! Exports `meld:async-fixtures/sink`: reads a stream of bytes to its end,
//! awaits a future, and returns a stream it writes after returning.

wit_bindgen::generate!({ path: "../wit", world: "sink-world" });

use exports::meld::async_fixtures::sink::{Guest, Point};
use wit_bindgen::{FutureReader, StreamReader, StreamResult};

#[path = "../../shared/byte_sum.rs"]
mod byte_sum;

struct Sink;

impl Guest for Sink {
    async fn sum(mut data: StreamReader<u8>, chunk: u32) -> (u64, u32) {
        let chunk = chunk.clamp(1, 1 << 20);
        let (mut sum, mut reads) = (0u64, 0u32);
        loop {
            let (result, buf) = data.read(Vec::with_capacity(chunk as usize)).await;
            match result {
                StreamResult::Complete(_) => {
                    reads += 1;
                    sum += byte_sum::byte_sum(&buf);
                }
                StreamResult::Dropped | StreamResult::Cancelled => break,
            }
        }
        (sum, reads)
    }

    async fn await_value(value: FutureReader<u32>) -> u32 {
        value.await.wrapping_add(1)
    }

    async fn count(n: u32, chunk: u32) -> StreamReader<u32> {
        let n = n.min(1 << 16);
        let chunk = chunk.clamp((n / 1024).max(1), 1 << 16);
        let (mut tx, rx) = wit_stream::new::<u32>();
        wit_bindgen::spawn_local(async move {
            let mut i = 0;
            while i < n {
                let m = chunk.min(n - i);
                if !tx.write_all((i..i + m).collect()).await.is_empty() {
                    break;
                }
                i += m;
            }
        });
        rx
    }

    async fn join(mut words: StreamReader<String>, chunk: u32) -> (String, u32) {
        let chunk = chunk.clamp(1, 1 << 10);
        let (mut all, mut reads) = (Vec::new(), 0u32);
        loop {
            let (result, buf) = words.read(Vec::with_capacity(chunk as usize)).await;
            match result {
                StreamResult::Complete(_) => {
                    reads += 1;
                    all.extend(buf);
                }
                StreamResult::Dropped | StreamResult::Cancelled => break,
            }
        }
        (all.join(" "), reads)
    }

    async fn shout(value: FutureReader<String>) -> String {
        value.await.to_uppercase()
    }

    async fn area(mut points: StreamReader<Point>, chunk: u32) -> u64 {
        let chunk = chunk.clamp(1, 1 << 16);
        let mut sum = 0u64;
        loop {
            let (result, buf) = points.read(Vec::with_capacity(chunk as usize)).await;
            match result {
                StreamResult::Complete(_) => {
                    sum += buf
                        .iter()
                        .map(|p| u64::from(p.x) * u64::from(p.y))
                        .sum::<u64>();
                }
                StreamResult::Dropped | StreamResult::Cancelled => break,
            }
        }
        sum
    }
}

export!(Sink);
