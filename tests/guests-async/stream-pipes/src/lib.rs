//! Exports `meld:async-fixtures/pipes`: writes a stream of bytes and a
//! future for `sink` while its calls read them, and reads the stream
//! `sink.count` returns.

wit_bindgen::generate!({ path: "../wit", world: "pipes-world" });

use core::future::{Future, poll_fn};
use core::hint::black_box;
use core::pin::pin;
use core::task::Poll;
use exports::meld::async_fixtures::pipes::Guest;
use meld::async_fixtures::sink;
use wit_bindgen::StreamResult;

#[path = "../../shared/byte_sum.rs"]
mod byte_sum;

struct Pipes;

/// The most bytes `send` streams (the benchmark's 64 MiB), points `area`
/// streams, numbers `collect` asks for, and elements a chunk holds.
const MAX_LEN: u32 = 1 << 26;
const MAX_POINTS: u32 = 1 << 20;
const MAX_COUNT: u32 = 1 << 16;
const MAX_CHUNK: u32 = 1 << 20;

/// A chunk size for `len` elements: at least 1 and `len / 1024` (at
/// most about a thousand writes or reads), at most `MAX_CHUNK`.
fn bounded(chunk: u32, len: u32) -> u32 {
    chunk.clamp((len / 1024).max(1), MAX_CHUNK)
}

/// Runs `a` and `b` at once; both outputs once both finished.
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut x, mut y) = (None, None);
    poll_fn(|cx| {
        if x.is_none()
            && let Poll::Ready(v) = a.as_mut().poll(cx)
        {
            x = Some(v);
        }
        if y.is_none()
            && let Poll::Ready(v) = b.as_mut().poll(cx)
        {
            y = Some(v);
        }
        match (x.is_some(), y.is_some()) {
            (true, true) => Poll::Ready(()),
            _ => Poll::Pending,
        }
    })
    .await;
    (x.take().unwrap(), y.take().unwrap())
}

impl Guest for Pipes {
    async fn send(len: u32, chunk: u32, read_chunk: u32) -> (u64, u32) {
        let len = len.min(MAX_LEN);
        let (chunk, read_chunk) = (bounded(chunk, len), bounded(read_chunk, len));
        let (mut tx, rx) = wit_stream::new::<u8>();
        // Byte `i` is `i % 251`: each write copies from one pattern.
        let pattern: Vec<u8> = (0..chunk.min(len) + 251).map(|k| (k % 251) as u8).collect();
        let writing = async move {
            let mut i = 0;
            while i < len {
                let n = chunk.min(len - i);
                let at = (i % 251) as usize;
                let bytes = pattern[at..at + n as usize].to_vec();
                if !tx.write_all(bytes).await.is_empty() {
                    break;
                }
                i += n;
            }
        };
        join(sink::sum(rx, read_chunk), writing).await.0
    }

    async fn send_alone(len: u32, chunk: u32, read_chunk: u32) -> (u64, u32) {
        let len = len.min(MAX_LEN);
        let (chunk, read_chunk) = (bounded(chunk, len), bounded(read_chunk, len));
        let pattern: Vec<u8> = (0..chunk.min(len) + 251).map(|k| (k % 251) as u8).collect();
        let (mut sum, mut reads) = (0u64, 0u32);
        let mut i = 0;
        while i < len {
            let n = chunk.min(len - i);
            let at = (i % 251) as usize;
            // `send`'s writer copies each chunk; `sink.sum` makes a buffer
            // per read and sums what came
            let bytes = black_box(pattern[at..at + n as usize].to_vec());
            for part in bytes.chunks(read_chunk as usize) {
                black_box(Vec::<u8>::with_capacity(read_chunk as usize));
                reads += 1;
                sum += byte_sum::byte_sum(black_box(part));
            }
            i += n;
        }
        (sum, reads)
    }

    async fn relay(v: u32, write_first: bool) -> u32 {
        let (tx, rx) = wit_future::new::<u32>(|| 0);
        let writing = async move {
            if !write_first {
                wit_bindgen::yield_async().await;
            }
            let _ = tx.write(v).await;
        };
        match write_first {
            true => join(writing, sink::await_value(rx)).await.1,
            false => join(sink::await_value(rx), writing).await.0,
        }
    }

    async fn collect(n: u32, chunk: u32) -> (u64, u32) {
        let chunk = bounded(chunk, n.min(MAX_COUNT));
        let mut rx = sink::count(n, chunk).await;
        let (mut sum, mut reads) = (0u64, 0u32);
        loop {
            let (result, buf) = rx.read(Vec::with_capacity(chunk as usize)).await;
            match result {
                StreamResult::Complete(_) => {
                    reads += 1;
                    sum += buf.iter().map(|v| u64::from(*v)).sum::<u64>();
                }
                StreamResult::Dropped | StreamResult::Cancelled => break,
            }
        }
        (sum, reads)
    }

    async fn join(words: Vec<String>, chunk: u32, read_chunk: u32) -> (String, u32) {
        let chunk = chunk.max(1) as usize;
        let (mut tx, rx) = wit_stream::new::<String>();
        let writing = async move {
            for part in words.chunks(chunk) {
                if !tx.write_all(part.to_vec()).await.is_empty() {
                    break;
                }
            }
        };
        join(sink::join(rx, read_chunk), writing).await.0
    }

    async fn shout(v: String) -> String {
        let (tx, rx) = wit_future::new::<String>(String::new);
        let writing = async move {
            let _ = tx.write(v).await;
        };
        join(sink::shout(rx), writing).await.0
    }

    async fn area(n: u32, chunk: u32, read_chunk: u32) -> u64 {
        let n = n.min(MAX_POINTS);
        let (chunk, read_chunk) = (bounded(chunk, n), bounded(read_chunk, n));
        let (mut tx, rx) = wit_stream::new::<sink::Point>();
        let writing = async move {
            let mut i = 0;
            while i < n {
                let m = chunk.min(n - i);
                let points = (i..i + m).map(|k| sink::Point { x: k, y: k % 7 }).collect();
                if !tx.write_all(points).await.is_empty() {
                    break;
                }
                i += m;
            }
        };
        join(sink::area(rx, read_chunk), writing).await.0
    }
}

export!(Pipes);
