;; As flags.wat, with the call out of `$b`'s realloc going to the host
;; (wasi:clocks/monotonic-clock `now`) rather than to another component.
(component
  (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
    (export "now" (func (result u64)))))
  (component $b
    (import "wasi:clocks/monotonic-clock@0.2.0" (instance $clock
      (export "now" (func (result u64)))))
    (core func $now (canon lower (func $clock "now")))
    (core module $m
      (import "clock" "now" (func $now (result i64)))
      (memory (export "memory") 1)
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        (if (i32.gt_u (local.get 3) (i32.const 3)) (then (drop (call $now))))
        (local.set $p (global.get $bump))
        (global.set $bump (i32.add (global.get $bump) (i32.const 16)))
        (local.get $p))
      (func (export "take") (param i32 i32) (result i32) (local.get 1)))
    (core instance $i (instantiate $m (with "clock" (instance (export "now" (func $now))))))
    (func $take (param "s" string) (result u32)
      (canon lift (core func $i "take") (memory (core memory $i "memory"))
        (realloc (core func $i "realloc"))))
    (instance $api (export "take" (func $take)))
    (export "t:b/api" (instance $api)))
  (component $a
    (import "t:b/api" (instance $b (export "take" (func (param "s" string) (result u32)))))
    (core module $mem
      (memory (export "memory") 1)
      (data (i32.const 0x100) "abcdefgh"))
    (core instance $mi (instantiate $mem))
    (core func $take (canon lower (func $b "take") (memory (core memory $mi "memory"))))
    (core module $m
      (import "b" "take" (func $take (param i32 i32) (result i32)))
      (func (export "send") (param i32) (result i32)
        (call $take (i32.const 0x100) (i32.and (local.get 0) (i32.const 7)))))
    (core instance $i (instantiate $m (with "b" (instance (export "take" (func $take))))))
    (func $send (param "n" u32) (result u32) (canon lift (core func $i "send")))
    (instance $api (export "send" (func $send)))
    (export "t:a/api" (instance $api)))
  (instance $bi (instantiate $b (with "wasi:clocks/monotonic-clock@0.2.0" (instance $clock))))
  (alias export $bi "t:b/api" (instance $bapi))
  (instance $ai (instantiate $a (with "t:b/api" (instance $bapi))))
  (alias export $ai "t:a/api" (instance $aapi))
  (export "t:a/api" (instance $aapi)))
