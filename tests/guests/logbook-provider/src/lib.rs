//! Exports `meld:fixtures/logbook`: a list of strings that destructors in
//! other components append to, so that their order can be compared.

use std::cell::RefCell;

wit_bindgen::generate!({ path: "../wit", world: "logbook-provider" });

use exports::meld::fixtures::logbook::Guest;

thread_local! {
    static ENTRIES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

struct Logbook;

impl Guest for Logbook {
    fn note(entry: String) {
        ENTRIES.with(|entries| entries.borrow_mut().push(entry));
    }

    fn take() -> Vec<String> {
        ENTRIES.with(|entries| entries.take())
    }
}

export!(Logbook);
