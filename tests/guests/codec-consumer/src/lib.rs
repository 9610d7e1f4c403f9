//! The utf8 side of the transcoding pair. Imports `utf16-strings` and
//! `latin1-strings` (a hand-written WAT provider lifting with
//! `string-encoding=utf16` and `latin1+utf16`), exports `codec`, which
//! passes every call through, and `checks`, whose self-test verifies what
//! the provider received and answered for fixed strings.

wit_bindgen::generate!({ path: "../wit", world: "codec-consumer" });

use exports::meld::fixtures::{checks, codec};
use meld::fixtures::{latin1_strings as latin1, utf16_strings as utf16};

struct Codec;

impl codec::Guest for Codec {
    fn utf16_echo(s: String) -> String {
        utf16::echo(&s)
    }

    fn utf16_units(s: String) -> u32 {
        utf16::units(&s)
    }

    fn utf16_checksum(s: String) -> u32 {
        utf16::checksum(&s)
    }

    fn utf16_upper(s: String) -> String {
        utf16::upper(&s)
    }

    fn utf16_echo_list(xs: Vec<String>) -> Vec<String> {
        utf16::echo_list(&xs)
    }

    fn latin1_echo(s: String) -> String {
        latin1::echo(&s)
    }

    fn latin1_units(s: String) -> u32 {
        latin1::units(&s)
    }

    fn latin1_checksum(s: String) -> u32 {
        latin1::checksum(&s)
    }

    fn latin1_upper(s: String) -> String {
        latin1::upper(&s)
    }

    fn latin1_echo_list(xs: Vec<String>) -> Vec<String> {
        latin1::echo_list(&xs)
    }
}

/// The tag a `latin1+utf16` length carries when the string is utf16.
const UTF16_TAG: u32 = 1 << 31;

/// Strings for both encodings: empty, ASCII, Latin-1 only (one byte per
/// char in latin1, two in utf8), beyond Latin-1 (forcing utf16), astral
/// (surrogate pairs), and long ones of every kind over 64 KiB.
fn samples() -> Vec<String> {
    vec![
        String::new(),
        "a".to_string(),
        "Hello, World".to_string(),
        "nul\0inside".to_string(),
        "café ÿ ß ¡\u{80}\u{FF}".to_string(),
        "Ā first beyond Latin-1".to_string(),
        "日本語 テキスト".to_string(),
        "😀 astral 𝄞 \u{10FFFF} \u{10000}".to_string(),
        "\u{D7FF}\u{E000}\u{FFFF}\u{FEFF}".to_string(),
        "x".repeat(70_000),
        "é".repeat(40_000),
        "€".repeat(30_000),
        "a😀".repeat(20_000),
    ]
}

fn check<T: PartialEq + std::fmt::Debug>(
    passed: &mut u32,
    what: &str,
    input: &str,
    got: T,
    expected: T,
) -> Result<(), String> {
    if got == expected {
        *passed += 1;
        return Ok(());
    }
    let mut shown: String = input.chars().take(40).collect();
    if shown.len() < input.len() {
        shown.push_str(&format!("... ({} bytes)", input.len()));
    }
    let mut got = format!("{got:?}");
    got.truncate(200);
    let mut expected = format!("{expected:?}");
    expected.truncate(200);
    Err(format!(
        "{what}({shown:?}) returned {got}, expected {expected}"
    ))
}

fn utf16_sum(s: &str) -> u32 {
    s.encode_utf16()
        .fold(0u32, |sum, unit| sum.wrapping_add(u32::from(unit)))
}

impl checks::Guest for Codec {
    fn self_test() -> Result<u32, String> {
        let mut passed = 0;
        let samples = samples();
        for s in &samples {
            let units = s.encode_utf16().count() as u32;
            let is_latin1 = s.chars().all(|c| u32::from(c) < 0x100);
            let upper = s.to_ascii_uppercase();
            let n = &mut passed;
            check(n, "utf16.echo", s, utf16::echo(s), s.clone())?;
            check(n, "utf16.units", s, utf16::units(s), units)?;
            check(n, "utf16.checksum", s, utf16::checksum(s), utf16_sum(s))?;
            check(n, "utf16.upper", s, utf16::upper(s), upper.clone())?;
            check(n, "latin1.echo", s, latin1::echo(s), s.clone())?;
            let tagged = if is_latin1 {
                s.chars().count() as u32
            } else {
                units | UTF16_TAG
            };
            check(n, "latin1.units", s, latin1::units(s), tagged)?;
            check(n, "latin1.checksum", s, latin1::checksum(s), utf16_sum(s))?;
            check(n, "latin1.upper", s, latin1::upper(s), upper)?;
        }
        let n = &mut passed;
        check(n, "utf16.echo-list", "", utf16::echo_list(&[]), Vec::new())?;
        check(
            n,
            "utf16.echo-list",
            "",
            utf16::echo_list(&samples),
            samples.clone(),
        )?;
        check(
            n,
            "latin1.echo-list",
            "",
            latin1::echo_list(&[]),
            Vec::new(),
        )?;
        check(
            n,
            "latin1.echo-list",
            "",
            latin1::echo_list(&samples),
            samples,
        )?;
        Ok(passed)
    }
}

export!(Codec);
