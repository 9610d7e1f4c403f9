//! The byte sum `sink.sum` makes of what it reads and `pipes.send-alone`
//! makes of the same bytes without a stream: one source file for both
//! guests (`#[path]`), so that the guest work the stream benchmark takes
//! away is the same code.

/// The sum of `bytes`, eight at a time: each 64-bit word adds its even
/// and its odd bytes into four 16-bit lanes (at most 510 a word, so 128
/// words fit before the lanes are added up). A byte at a time, this loop
/// was half of the composed stream benchmark's time, hiding the cost of
/// the stream it measures.
pub fn byte_sum(bytes: &[u8]) -> u64 {
    const EVEN: u64 = 0x00ff_00ff_00ff_00ff;
    let mut words = bytes.chunks_exact(8);
    let mut sum = 0u64;
    loop {
        let (mut lanes, mut n) = (0u64, 0);
        for word in words.by_ref().take(128) {
            let w = u64::from_le_bytes(word.try_into().unwrap());
            lanes += (w & EVEN) + ((w >> 8) & EVEN);
            n += 1;
        }
        sum += (lanes & 0xffff) + (lanes >> 16 & 0xffff) + (lanes >> 32 & 0xffff) + (lanes >> 48);
        if n < 128 {
            break;
        }
    }
    sum + words.remainder().iter().map(|&b| u64::from(b)).sum::<u64>()
}
