//! Imports `text`, `sequences`, `shapes` and `wide`; exports each again as
//! a `*-relay` interface that passes every call through unchanged (so the
//! differential harness drives generated values across the boundary in
//! both directions), and `checks`, whose self-test calls the provider with
//! fixed values and verifies every result against expectations computed
//! here.

wit_bindgen::generate!({
    path: "../wit",
    world: "values-consumer",
    additional_derives: [PartialEq],
});

mod relay;
mod self_test;

struct Consumer;

impl exports::meld::fixtures::checks::Guest for Consumer {
    fn self_test() -> Result<u32, String> {
        self_test::run()
    }
}

export!(Consumer);
