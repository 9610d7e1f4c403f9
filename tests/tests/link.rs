//! Several top-level inputs: `fuse(&[command, provider])` links the
//! provider's export to the command's import by interface name, and the
//! result must behave exactly like the same two guests composed by wac
//! (the `wasi-hello` fixture).

use meld_core::{ErrorKind, Options, fuse};
use meld_tests::harness::{CompareOptions, compare};

const COMMAND: &[u8] = include_bytes!(env!("MELD_GUEST_HELLO_COMMAND"));
const PROVIDER: &[u8] = include_bytes!(env!("MELD_GUEST_GREETER_PROVIDER"));

#[test]
fn two_inputs_link_like_their_wac_composition() {
    let composed = meld_tests::fixtures::get("wasi-hello").expect("fixture builds");
    let linked = fuse(&[COMMAND, PROVIDER], &Options::default()).expect("links and fuses");
    assert_eq!(
        linked.stats.core_instances, 6,
        "both guests' core instances are merged"
    );
    let report = compare(&composed.wasm, &linked.wasm, &CompareOptions::default()).expect("runs");
    println!("linked vs composed: {report}");
    report.assert_clean();
}

#[test]
fn the_first_input_is_the_socket_whose_exports_are_kept() {
    let exports = |inputs: &[&[u8]]| {
        let fused = fuse(inputs, &Options::default()).expect("links and fuses");
        meld_core::inspect(&fused.wasm).expect("inspects").exports
    };
    let command_first = exports(&[COMMAND, PROVIDER]);
    assert_eq!(command_first.len(), 1, "{command_first:?}");
    assert!(
        command_first[0].starts_with("wasi:cli/run@"),
        "{command_first:?}"
    );
    // With the provider first, the command plugs nothing into it and is
    // left out of the result's exports.
    let provider_first = exports(&[PROVIDER, COMMAND]);
    assert_eq!(provider_first, ["meld:fixtures/greeter"]);
}

#[test]
fn a_core_module_among_the_inputs_is_an_error_naming_it() {
    let module = wat::parse_str("(module)").expect("wat");
    let err = fuse(&[COMMAND, &module], &Options::default()).expect_err("not a component");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(err.location().input, Some(1));
}
