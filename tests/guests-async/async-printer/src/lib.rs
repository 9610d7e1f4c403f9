//! Exports `meld:async-fixtures/printer`: an async function that prints
//! through WASI (wasm32-wasip2), so its output reaches the host's stdout
//! from inside an async task.

use std::io::Write;

wit_bindgen::generate!({ path: "../wit", world: "printer-world" });

use exports::meld::async_fixtures::printer::Guest;

struct Printer;

impl Guest for Printer {
    async fn print(line: String) -> u32 {
        wit_bindgen::yield_async().await;
        let mut stdout = std::io::stdout().lock();
        // A failed write prints nothing and counts nothing.
        let printed = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
        match printed {
            Ok(()) => u32::try_from(line.len() + 1).unwrap_or(u32::MAX),
            Err(_) => 0,
        }
    }
}

export!(Printer);
