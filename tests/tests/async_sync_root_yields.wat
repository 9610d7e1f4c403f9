;; `async_sync_root_waits.wat` without the host: `hold(n)` (an async func
;; lifted without `async`) yields `n` times with `thread.yield`, its
;; instance locked meanwhile; `quick()` (a sync func, lifted sync) is a
;; call of the host's made at the same time. wasmtime starts `quick` only
;; once `hold` returned: `hold` returns its count 1, `quick` 11.
(component
  (component $a
    (core func $yield (canon thread.yield))
    (core module $m
      (import "cm" "yield" (func $yield (result i32)))
      (memory (export "mem") 1)
      (global $n (mut i32) (i32.const 0))
      (func (export "hold") (param $times i32) (result i32)
        (block $done
          (loop $again
            (br_if $done (i32.eqz (local.get $times)))
            (drop (call $yield))
            (local.set $times (i32.sub (local.get $times) (i32.const 1)))
            (br $again)))
        (global.set $n (i32.add (global.get $n) (i32.const 1)))
        (global.get $n))
      (func (export "quick") (result i32)
        (global.set $n (i32.add (global.get $n) (i32.const 10)))
        (global.get $n)))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "yield" (func $yield))))))
    (func (export "hold") async (param "times" u32) (result u32)
      (canon lift (core func $i "hold")))
    (func (export "quick") (result u32) (canon lift (core func $i "quick"))))
  (instance $a (instantiate $a))
  (export "hold" (func $a "hold"))
  (export "quick" (func $a "quick")))
