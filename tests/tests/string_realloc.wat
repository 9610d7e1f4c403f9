;; Strings handed between two components for every pair of string
;; encodings, both ways, with a `realloc` that logs every call and can be
;; told to misbehave, so that the calls an adapter makes (arguments,
;; order, and the checks after each) can be compared with wasmtime's.
;;
;; Both components define the same `$base` module (the test fills in
;; `string_realloc_base.wat` where the placeholders are): one memory, the
;; data (every case string in utf8, utf16 and latin1+utf16, and a table
;; of (ptr, len) per encoding at 0x1000 + 0x200 e), a bump `realloc` that
;; grows by copying and shrinks in place, and a log at 0x4000 of four
;; words per entry: each realloc call's (old ptr, old size, align, new
;; size) and each string received as (-1, ptr, len, fnv-1a hash of its
;; bytes). `set-fault(at, kind)` makes the `at`-th realloc call from then
;; on return a misaligned pointer (kind 1), an out-of-bounds one (2) or
;; trap with a division by zero (3), a trap no adapter makes.
;;
;; Encodings are numbered 0 utf8, 1 utf16, 2 latin1+utf16; a pair is
;; `3 * consumer's + provider's`. The consumer's `send(pair, case)` passes
;; its string `case` to the provider's `take-<provider's>`, lowered with
;; the consumer's encoding; `fetch(pair, case)` gets the provider's string
;; `case` from `give-<provider's>`. Each answers the hash of what arrived.
(component
  (component $provider
    ;;BASE
    (core instance $b (instantiate $base))
    (alias core export $b "memory" (core memory $memory))
    (alias core export $b "realloc" (core func $realloc))
    (core module $main
      (import "base" "record" (func $record (param i32 i32 i32) (result i32)))
      (import "base" "case" (func $case (param i32 i32 i32) (result i32)))
      (func (export "take-utf8") (param i32 i32) (result i32)
        (call $record (i32.const 0) (local.get 0) (local.get 1)))
      (func (export "take-utf16") (param i32 i32) (result i32)
        (call $record (i32.const 1) (local.get 0) (local.get 1)))
      (func (export "take-latin1") (param i32 i32) (result i32)
        (call $record (i32.const 2) (local.get 0) (local.get 1)))
      (func (export "give-utf8") (param i32) (result i32)
        (call $case (i32.const 0) (local.get 0) (i32.const 0x30)))
      (func (export "give-utf16") (param i32) (result i32)
        (call $case (i32.const 1) (local.get 0) (i32.const 0x30)))
      (func (export "give-latin1") (param i32) (result i32)
        (call $case (i32.const 2) (local.get 0) (i32.const 0x30))))
    (core instance $i (instantiate $main (with "base" (instance $b))))
    (func (export "take-utf8") (param "s" string) (result u32)
      (canon lift (core func $i "take-utf8") (memory $memory) (realloc $realloc)))
    (func (export "take-utf16") (param "s" string) (result u32)
      (canon lift (core func $i "take-utf16") (memory $memory) (realloc $realloc)
        string-encoding=utf16))
    (func (export "take-latin1") (param "s" string) (result u32)
      (canon lift (core func $i "take-latin1") (memory $memory) (realloc $realloc)
        string-encoding=latin1+utf16))
    (func (export "give-utf8") (param "case" u32) (result string)
      (canon lift (core func $i "give-utf8") (memory $memory) (realloc $realloc)))
    (func (export "give-utf16") (param "case" u32) (result string)
      (canon lift (core func $i "give-utf16") (memory $memory) (realloc $realloc)
        string-encoding=utf16))
    (func (export "give-latin1") (param "case" u32) (result string)
      (canon lift (core func $i "give-latin1") (memory $memory) (realloc $realloc)
        string-encoding=latin1+utf16))
    (func (export "set-fault") (param "at" u32) (param "kind" u32)
      (canon lift (core func $b "set-fault")))
    (func (export "log") (result (list u32))
      (canon lift (core func $b "log") (memory $memory))))

  (component $consumer
    ;;BASE
    (import "take-utf8" (func $take-utf8 (param "s" string) (result u32)))
    (import "take-utf16" (func $take-utf16 (param "s" string) (result u32)))
    (import "take-latin1" (func $take-latin1 (param "s" string) (result u32)))
    (import "give-utf8" (func $give-utf8 (param "case" u32) (result string)))
    (import "give-utf16" (func $give-utf16 (param "case" u32) (result string)))
    (import "give-latin1" (func $give-latin1 (param "case" u32) (result string)))
    (core instance $b (instantiate $base))
    (alias core export $b "memory" (core memory $memory))
    (alias core export $b "realloc" (core func $realloc))
    ;;LOWERINGS
    (core module $main
      (import "base" "memory" (memory 1))
      (import "base" "record" (func $record (param i32 i32 i32) (result i32)))
      (import "base" "case" (func $case (param i32 i32 i32) (result i32)))
      ;;IMPORTS
      (func (export "send") (param $pair i32) (param $case i32) (result i32)
        (local $at i32)
        (local.set $at
          (call $case (i32.div_u (local.get $pair) (i32.const 3)) (local.get $case) (i32.const 0x30)))
        ;;SEND
        unreachable)
      (func (export "fetch") (param $pair i32) (param $case i32) (result i32)
        ;;FETCH
        (call $record (i32.div_u (local.get $pair) (i32.const 3))
          (i32.load (i32.const 0x40)) (i32.load (i32.const 0x44)))))
    (core instance $i (instantiate $main
      (with "base" (instance $b))
      (with "api" (instance
        ;;API
      ))))
    (func (export "send") (param "pair" u32) (param "case" u32) (result u32)
      (canon lift (core func $i "send")))
    (func (export "fetch") (param "pair" u32) (param "case" u32) (result u32)
      (canon lift (core func $i "fetch")))
    (func (export "set-fault") (param "at" u32) (param "kind" u32)
      (canon lift (core func $b "set-fault")))
    (func (export "log") (result (list u32))
      (canon lift (core func $b "log") (memory $memory))))

  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer
    (with "take-utf8" (func $p "take-utf8"))
    (with "take-utf16" (func $p "take-utf16"))
    (with "take-latin1" (func $p "take-latin1"))
    (with "give-utf8" (func $p "give-utf8"))
    (with "give-utf16" (func $p "give-utf16"))
    (with "give-latin1" (func $p "give-latin1"))))
  (export "send" (func $c "send"))
  (export "fetch" (func $c "fetch"))
  (export "consumer-set-fault" (func $c "set-fault"))
  (export "consumer-log" (func $c "log"))
  (export "provider-set-fault" (func $p "set-fault"))
  (export "provider-log" (func $p "log")))
