//! The result of a comparison: counts, coverage and mismatches, printable
//! for a failing test.

use std::fmt;

/// What differed between the two sides in one mismatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aspect {
    /// Results differ, or one side trapped (or exited) and the other did
    /// not, or the exit codes differ.
    Outcome,
    /// Different bytes were written to stdout.
    Stdout,
    /// Different bytes were written to stderr.
    Stderr,
    /// The fused component does not export the function.
    Missing,
    /// The fused component exports the function with another type.
    Signature,
}

/// One call whose observable behaviour differed.
#[derive(Debug, Clone)]
pub struct Mismatch {
    /// The function (`iface#name`), or `(instantiation)`.
    pub function: String,
    /// The arguments, rendered.
    pub args: String,
    /// What differed.
    pub aspects: Vec<Aspect>,
    /// What the original did, rendered.
    pub original: String,
    /// What the fused component did, rendered.
    pub fused: String,
}

/// How often one function was called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coverage {
    /// The function (`iface#name`).
    pub function: String,
    /// Calls compared.
    pub calls: usize,
    /// Of those, calls where the original trapped or exited.
    pub trapped: usize,
}

/// A function the harness did not call, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The function (`iface#name`).
    pub function: String,
    /// Why it was not called.
    pub reason: String,
}

/// The outcome of [`compare`](super::compare).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Calls made on both sides and compared (instantiations not counted).
    pub calls: usize,
    /// Of those, calls where the original returned normally.
    pub returned: usize,
    /// Of those, calls where the original trapped or exited.
    pub trapped: usize,
    /// Functions called at least once, in call order (export order, a
    /// command's `run` last).
    pub functions: Vec<Coverage>,
    /// Functions not called, with the reason.
    pub skipped: Vec<Skipped>,
    /// How the fused world differs from the original's (diff lines;
    /// empty when they are the same).
    pub world: Vec<String>,
    /// Mismatches kept for the report (at most a few per function).
    pub mismatches: Vec<Mismatch>,
    /// All mismatches, including the ones not kept.
    pub mismatch_count: usize,
    /// Fresh instance pairs created after a trap.
    pub reinstantiations: usize,
    /// Non-WASI imports of the original that the harness satisfied with
    /// stubs that trap when called (`iface#func`).
    pub stubbed_imports: Vec<String>,
}

impl Report {
    /// Whether the two components behaved the same in every comparison.
    pub fn is_clean(&self) -> bool {
        self.world.is_empty() && self.mismatch_count == 0
    }

    /// Panics with the full report unless [`is_clean`](Self::is_clean).
    #[track_caller]
    pub fn assert_clean(&self) {
        assert!(
            self.is_clean(),
            "original and fused components differ:\n{self}"
        );
    }

    /// The coverage of `function` (`iface#name`), if it was called.
    pub fn coverage(&self, function: &str) -> Option<&Coverage> {
        self.functions.iter().find(|c| c.function == function)
    }

    /// The kept mismatches that concern `function` (`iface#name`).
    pub fn mismatches_in(&self, function: &str) -> Vec<&Mismatch> {
        self.mismatches
            .iter()
            .filter(|m| m.function == function)
            .collect()
    }

    /// Counts one compared call of `function`.
    pub(crate) fn count_call(&mut self, function: &str, trapped: bool) {
        self.calls += 1;
        if trapped {
            self.trapped += 1;
        } else {
            self.returned += 1;
        }
        // Calls to one function are consecutive, except `run` after a
        // reinstantiation; search from the end.
        let index = match self.functions.iter().rposition(|c| c.function == function) {
            Some(index) => index,
            None => {
                self.functions.push(Coverage {
                    function: function.to_string(),
                    calls: 0,
                    trapped: 0,
                });
                self.functions.len() - 1
            }
        };
        let coverage = &mut self.functions[index];
        coverage.calls += 1;
        coverage.trapped += usize::from(trapped);
    }

    /// One line: calls, functions, skips, mismatches.
    pub fn summary(&self) -> String {
        format!(
            "{} calls over {} functions ({} returned, {} trapped, {} skipped), \
             {} mismatches, world {}",
            self.calls,
            self.functions.len(),
            self.returned,
            self.trapped,
            self.skipped.len(),
            self.mismatch_count,
            if self.world.is_empty() {
                "same"
            } else {
                "differs"
            },
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary())?;
        if !self.world.is_empty() {
            writeln!(f, "world differs (- original only, + fused only):")?;
            for line in &self.world {
                writeln!(f, "    {line}")?;
            }
        }
        for mismatch in &self.mismatches {
            writeln!(f, "{mismatch}")?;
        }
        let hidden = self.mismatch_count - self.mismatches.len();
        if hidden > 0 {
            writeln!(f, "... and {hidden} more mismatches")?;
        }
        for skipped in &self.skipped {
            writeln!(f, "skipped {}: {}", skipped.function, skipped.reason)?;
        }
        if !self.stubbed_imports.is_empty() {
            writeln!(
                f,
                "imports stubbed with traps: {}",
                self.stubbed_imports.join(", ")
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let aspects: Vec<String> = self.aspects.iter().map(|a| format!("{a:?}")).collect();
        writeln!(
            f,
            "mismatch in {}({}) [{}]",
            self.function,
            self.args,
            aspects.join(", ")
        )?;
        writeln!(f, "    original: {}", self.original)?;
        write!(f, "    fused:    {}", self.fused)
    }
}
