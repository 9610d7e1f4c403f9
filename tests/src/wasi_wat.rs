//! WAT text for hand-written components that use WASI 0.2.0 (tests and
//! benchmarks): the imports of stdout, output streams, pollables and
//! errors, and a bump allocator.

/// The WASI 0.2.0 imports the components use, as component `outer` (a
/// WAT identifier) declares them.
pub fn wasi_imports(outer: &str) -> String {
    format!(
        r#"
    (import "wasi:io/error@0.2.0" (instance $io-error
      (export "error" (type (sub resource)))))
    (alias export $io-error "error" (type $error))
    (import "wasi:io/poll@0.2.0" (instance $io-poll
      (export "pollable" (type $pollable (sub resource)))
      (type $pollables (list (borrow $pollable)))
      (type $ready (list u32))
      (export "poll" (func (param "in" $pollables) (result $ready)))))
    (alias export $io-poll "pollable" (type $pollable))
    (import "wasi:io/streams@0.2.0" (instance $io-streams
      (alias outer {outer} $error (type $e))
      (export "error" (type $e2 (eq $e)))
      (alias outer {outer} $pollable (type $p))
      (export "pollable" (type $p2 (eq $p)))
      (export "output-stream" (type $os (sub resource)))
      (type $se (variant (case "last-operation-failed" (own $e2)) (case "closed")))
      (export "stream-error" (type $se2 (eq $se)))
      (type $bytes (list u8))
      (type $written (result (error $se2)))
      (export "[method]output-stream.blocking-write-and-flush"
        (func (param "self" (borrow $os)) (param "contents" $bytes) (result $written)))
      (export "[method]output-stream.subscribe"
        (func (param "self" (borrow $os)) (result (own $p2))))))
    (alias export $io-streams "output-stream" (type $output-stream))
    (import "wasi:cli/stdout@0.2.0" (instance $stdout
      (alias outer {outer} $output-stream (type $os))
      (export "output-stream" (type $os2 (eq $os)))
      (export "get-stdout" (func (result (own $os2))))))
"#
    )
}

/// A bump allocator's memory, as a core module every component uses.
pub const HEAP: &str = r#"
    (core module $heap
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 4096))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and
          (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
          (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (local.get $at)))
    (core instance $hp (instantiate $heap))
    (alias core export $hp "mem" (core memory $mem))
    (alias core export $hp "realloc" (core func $realloc))
"#;

/// A command-less composition whose `main` component exports
/// `spam(n: u32) -> u32`: n writes of two bytes to stdout through
/// `[method]output-stream.blocking-write-and-flush`, each a host call
/// with a handle to translate; returns how many succeeded. Laid out as
/// wit-component lays out toolchain output: the main module defines its
/// memory, so the import that needs it is reached through a shim's table,
/// filled by a fixup module once the memory exists.
pub fn stdout_loop() -> String {
    let root = wasi_imports("$root");
    let main = wasi_imports("$main");
    format!(
        r#"
(component $root
  {root}
  (component $main
    {main}
    (core module $shim
      (table (export "$imports") 1 1 funcref)
      (type $w (func (param i32 i32 i32 i32)))
      (func (export "write") (param i32 i32 i32 i32)
        (call_indirect (type $w)
          (local.get 0) (local.get 1) (local.get 2) (local.get 3) (i32.const 0))))
    (core instance $sh (instantiate $shim))
    (core func $get-stdout (canon lower (func $stdout "get-stdout")))
    (core func $drop-stream (canon resource.drop $output-stream))
    (core module $code
      (import "w" "get-stdout" (func $get-stdout (result i32)))
      (import "w" "write" (func $write (param i32 i32 i32 i32)))
      (import "w" "drop-stream" (func $drop-stream (param i32)))
      (memory (export "mem") 1)
      (data (i32.const 16) "x\0a")
      (func (export "spam") (param $n i32) (result i32)
        (local $s i32) (local $ok i32)
        (local.set $s (call $get-stdout))
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get $n)))
            (call $write (local.get $s) (i32.const 16) (i32.const 2) (i32.const 200))
            (local.set $ok (i32.add (local.get $ok) (i32.eqz (i32.load8_u (i32.const 200)))))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br $next)))
        (call $drop-stream (local.get $s))
        (local.get $ok)))
    (core instance $c (instantiate $code
      (with "w" (instance
        (export "get-stdout" (func $get-stdout)) (export "write" (func $sh "write"))
        (export "drop-stream" (func $drop-stream))))))
    (alias core export $c "mem" (core memory $mem))
    (core func $write (canon lower
      (func $io-streams "[method]output-stream.blocking-write-and-flush") (memory $mem)))
    (core module $fixup
      (import "" "$imports" (table 1 1 funcref))
      (import "" "write" (func $write (param i32 i32 i32 i32)))
      (elem (i32.const 0) func $write))
    (core instance (instantiate $fixup
      (with "" (instance (export "$imports" (table $sh "$imports")) (export "write" (func $write))))))
    (func (export "spam") (param "n" u32) (result u32) (canon lift (core func $c "spam"))))
  (instance $m (instantiate $main
    (with "wasi:io/error@0.2.0" (instance $io-error))
    (with "wasi:io/poll@0.2.0" (instance $io-poll))
    (with "wasi:io/streams@0.2.0" (instance $io-streams))
    (with "wasi:cli/stdout@0.2.0" (instance $stdout))))
  (export "spam" (func $m "spam")))
"#
    )
}
