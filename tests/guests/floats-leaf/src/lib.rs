//! Exports `meld:fixtures/floats`, the leaf of the `res-chain` fixture:
//! `float` and the list-carrying `words`. Destructors note `leaf drop
//! float <value>` and `leaf drop words <count>` in the logbook.

use std::cell::RefCell;

wit_bindgen::generate!({ path: "../wit", world: "floats-leaf" });

use exports::meld::fixtures::floats::{Float, FloatBorrow, Guest, GuestFloat, GuestWords};
use meld::fixtures::logbook;

struct FloatRep(f64);

impl Drop for FloatRep {
    fn drop(&mut self) {
        logbook::note(&format!("leaf drop float {}", self.0));
    }
}

impl GuestFloat for FloatRep {
    fn new(v: f64) -> Self {
        Self(v)
    }

    fn get(&self) -> f64 {
        self.0
    }

    fn add(&self, other: FloatBorrow<'_>) -> Float {
        Float::new(Self(self.0 + other.get::<FloatRep>().0))
    }

    fn sum(items: Vec<Float>) -> Float {
        Float::new(Self(items.iter().map(|f| f.get::<FloatRep>().0).sum()))
    }
}

struct WordsRep(RefCell<Vec<String>>);

impl Drop for WordsRep {
    fn drop(&mut self) {
        logbook::note(&format!("leaf drop words {}", self.0.borrow().len()));
    }
}

impl GuestWords for WordsRep {
    fn new(items: Vec<String>) -> Self {
        Self(RefCell::new(items))
    }

    fn items(&self) -> Vec<String> {
        self.0.borrow().clone()
    }

    fn push(&self, w: String) {
        self.0.borrow_mut().push(w);
    }

    fn lengths(&self) -> Vec<u32> {
        self.0
            .borrow()
            .iter()
            .map(|w| w.chars().count() as u32)
            .collect()
    }
}

struct Leaf;

impl Guest for Leaf {
    type Float = FloatRep;
    type Words = WordsRep;
}

export!(Leaf);
