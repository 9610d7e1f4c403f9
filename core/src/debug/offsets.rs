//! Where the code of one inner module instance went: a map from offsets in
//! the inner module's code section to offsets in the fused module's.
//!
//! DWARF for WebAssembly gives code addresses as offsets from the start of
//! the code section's contents (its function count first). Merging
//! re-encodes every body, and an index LEB of another width moves every
//! instruction after it, so the map is recorded instruction by instruction
//! while the bodies are written ([`CodeMap::instruction`],
//! [`CodeMap::function`]). It is stored as the points where the distance
//! between old and new offset changes: every recorded boundary (a body's
//! size field, its locals, each instruction, its end) maps exactly, and the
//! map stays small because most instructions keep their distance.
//!
//! Offsets outside the module's bodies (tombstones the linker wrote for
//! removed functions, `0` and `0xffff_ffff`) map to nothing.

/// One instance's code-offset map.
#[derive(Debug)]
pub(crate) struct CodeMap {
    /// Absolute input offset of the inner code section's contents: DWARF
    /// address 0.
    code_start: usize,
    /// Old offset (from `code_start`) of the first body's size field.
    first: u32,
    /// Old offset of the end of the last body recorded so far.
    end: u32,
    /// `(old offset, new - old)` from that offset on, sorted by offset. New
    /// offsets count from the fused code buffer's first entry, without the
    /// function count before it (see [`CodeMap::address`]).
    shifts: Vec<(u32, i64)>,
    /// The current body's instructions: (old absolute offset, offset in
    /// the new body after its locals).
    pending: Vec<(usize, usize)>,
}

impl CodeMap {
    /// A map for a module whose code section contents start at absolute
    /// input offset `code_start` and whose first body (its size field)
    /// starts at `first_body`.
    pub(crate) fn new(code_start: usize, first_body: usize) -> CodeMap {
        let first = offset32(first_body - code_start);
        CodeMap {
            code_start,
            first,
            end: first,
            shifts: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Records that the instruction at absolute input offset `old` is at
    /// `new` bytes into the re-encoded body being built (its locals
    /// included, its size field not).
    pub(crate) fn instruction(&mut self, old: usize, new: usize) {
        self.pending.push((old, new));
    }

    /// Records the body just written, with its instructions recorded since
    /// the last call: `old_locals..old_end` is the original body after its
    /// size field (absolute input offsets); the new body of `new_len` bytes
    /// was written with its size field at `new_start` in the code buffer.
    pub(crate) fn function(
        &mut self,
        old: std::ops::Range<usize>,
        new_start: usize,
        new_len: usize,
    ) {
        let new_body = new_start + leb_len(new_len);
        let size_field = self.end;
        self.mark(size_field, new_start);
        self.mark(self.old(old.start), new_body);
        let pending = std::mem::take(&mut self.pending);
        for &(old, new) in &pending {
            self.mark(self.old(old), new_body + new);
        }
        self.pending = pending;
        self.pending.clear();
        self.end = self.old(old.end);
        self.mark(self.end, new_body + new_len);
    }

    fn old(&self, absolute: usize) -> u32 {
        offset32(absolute.saturating_sub(self.code_start))
    }

    fn mark(&mut self, old: u32, new: usize) {
        let shift = new as i64 - i64::from(old);
        match self.shifts.last_mut() {
            Some((at, last)) if *at == old => *last = shift,
            Some((_, last)) if *last == shift => {}
            _ => self.shifts.push((old, shift)),
        }
    }

    /// The fused address of inner address `old`, given that the fused code
    /// section's contents start with `count_len` bytes of function count;
    /// `None` outside the module's bodies.
    pub(crate) fn address(&self, old: u64, count_len: u64) -> Option<u64> {
        if old < u64::from(self.first) || old > u64::from(self.end) {
            return None;
        }
        let i = self.shifts.partition_point(|(at, _)| u64::from(*at) <= old);
        let (_, shift) = self.shifts.get(i.checked_sub(1)?)?;
        u64::try_from(old as i64 + shift)
            .ok()
            .map(|a| a + count_len)
    }
}

/// Offsets of a valid module fit in 32 bits (wasmparser refuses larger
/// inputs); saturating keeps a wrong offset out of any body.
fn offset32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Bytes of `n` as an unsigned LEB128.
pub(crate) fn leb_len(n: usize) -> usize {
    let mut len = 1;
    let mut n = n >> 7;
    while n != 0 {
        len += 1;
        n >>= 7;
    }
    len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_map_exactly_and_shifts_are_stored_once() {
        // Contents start at 100; count takes one byte, the first body's
        // size field is at 101, its locals at 102, its end at 110.
        let mut map = CodeMap::new(100, 101);
        map.instruction(103, 1);
        map.instruction(105, 4); // an index LEB one byte wider before it
        map.function(102..110, 0, 10);
        // A second body, the same size as before.
        map.function(111..115, 11, 4);
        assert_eq!(map.address(1, 1), Some(1)); // first size field
        assert_eq!(map.address(2, 1), Some(2)); // locals
        assert_eq!(map.address(3, 1), Some(3)); // first instruction
        assert_eq!(map.address(5, 1), Some(6)); // moved by one
        assert_eq!(map.address(10, 1), Some(12)); // end of body one
        assert_eq!(map.address(11, 1), Some(13)); // second body's locals
        assert_eq!(map.address(15, 1), Some(17)); // end of the code
        assert_eq!(map.address(0, 1), None);
        assert_eq!(map.address(16, 1), None);
        assert_eq!(map.address(0xffff_ffff, 1), None);
        assert!(map.shifts.len() <= 5, "{:?}", map.shifts);
    }

    #[test]
    fn leb_lengths() {
        assert_eq!(leb_len(0), 1);
        assert_eq!(leb_len(127), 1);
        assert_eq!(leb_len(128), 2);
        assert_eq!(leb_len(16_384), 3);
    }
}
