//! Imports `meld:fixtures/counter` and exports `meld:fixtures/ledger`.

wit_bindgen::generate!({ path: "../wit", world: "ledger-consumer" });

use exports::meld::fixtures::ledger::Guest;
use meld::fixtures::counter;

struct Ledger;

impl Guest for Ledger {
    fn deposit(amount: u16) -> i32 {
        counter::add(i32::from(amount))
    }

    fn withdraw(amount: u16) -> i32 {
        counter::add(-i32::from(amount))
    }

    fn balance() -> i32 {
        counter::total()
    }
}

export!(Ledger);
