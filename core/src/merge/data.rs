//! The fused module's data section, its segments' bytes borrowed from the
//! input rather than copied. A JavaScript engine's data is megabytes:
//! copied into wasm-encoder's section (grown by doubling) and then into
//! the section's encoding, it was held three times at fusion's peak.

use std::borrow::Cow;
use wasm_encoder::{ConstExpr, Encode, SectionId};

/// Data segments: each one's header written here, its bytes borrowed.
#[derive(Default)]
pub(super) struct Data<'a> {
    parts: Vec<Cow<'a, [u8]>>,
    count: u32,
    /// The bytes of `parts`.
    size: usize,
}

impl<'a> Data<'a> {
    /// A passive segment of `data`.
    pub(super) fn passive(&mut self, data: &'a [u8]) {
        self.segment(vec![0x01], data);
    }

    /// An active segment of `data` in memory `memory` at `offset`.
    pub(super) fn active(&mut self, memory: u32, offset: &ConstExpr, data: &'a [u8]) {
        // as wasm-encoder writes one: memory 0 without its index
        let mut head = match memory {
            0 => vec![0x00],
            _ => {
                let mut head = vec![0x02];
                memory.encode(&mut head);
                head
            }
        };
        offset.encode(&mut head);
        self.segment(head, data);
    }

    /// A segment: `head`, the length of `data`, `data`.
    fn segment(&mut self, mut head: Vec<u8>, data: &'a [u8]) {
        data.len().encode(&mut head);
        self.size += head.len() + data.len();
        self.parts.push(head.into());
        self.parts.push(data.into());
        self.count += 1;
    }

    /// The section onto `out` (nothing without segments: an empty section
    /// is not written).
    pub(super) fn encode_onto(self, out: &mut Vec<Cow<'a, [u8]>>) {
        if self.count == 0 {
            return;
        }
        let mut header = vec![SectionId::Data as u8];
        (super::leb_len(self.count as usize) + self.size).encode(&mut header);
        self.count.encode(&mut header);
        out.push(header.into());
        out.extend(self.parts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_wasm_encoders() {
        let big = vec![7u8; 300];
        let offsets = [
            ConstExpr::i32_const(1024),
            ConstExpr::global_get(3),
            ConstExpr::i64_const(-5),
        ];
        let mut ours = Data::default();
        let mut theirs = wasm_encoder::DataSection::new();
        ours.passive(b"passive");
        theirs.passive(b"passive".iter().copied());
        for (memory, offset) in [0, 1, 200].into_iter().zip(&offsets) {
            ours.active(memory, offset, &big);
            theirs.active(memory, offset, big.iter().copied());
            ours.active(memory, offset, b"");
            theirs.active(memory, offset, []);
        }
        let mut parts = Vec::new();
        ours.encode_onto(&mut parts);
        let ours: Vec<u8> = parts.concat();
        let mut expected = Vec::new();
        wasm_encoder::Section::append_to(&theirs, &mut expected);
        assert_eq!(ours, expected);
        // no segments, no section
        let mut parts = Vec::new();
        Data::default().encode_onto(&mut parts);
        assert!(parts.is_empty());
    }
}
