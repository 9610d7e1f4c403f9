;; An async call of the host with a list of strings over their own elements
;; (at 72 and 80: `H`, `P`): the host must read the bytes the caller wrote,
;; also where, with one shared memory, the caller's pointers move for it.
;; `run(ticks)` returns the call's status and the string `join` made of
;; them (written through the caller's realloc once it finishes).
(component
  (import "meld:test/slow" (instance $slow
    (export "join" (func async (param "ticks" u32) (param "parts" (list string)) (result string)))))
  (alias export $slow "join" (func $echo))
  ;; A component before the caller whose memory the host sees too: with one
  ;; shared memory its region comes first, the caller's after it.
  (component $first
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 16) "first")
      (func (export "hello") (result i32)
        (i32.store (i32.const 0) (i32.const 16))
        (i32.store (i32.const 4) (i32.const 5))
        (i32.const 0)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (func (export "hello") (result string)
      (canon lift (core func $i "hello") (memory $mem))))
  (instance $first (instantiate $first))
  (export "hello" (func $first "hello"))
  (component $caller
    (import "echo" (func $echo async (param "ticks" u32) (param "parts" (list string)) (result string)))
    (core module $memory
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 8192))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (i32.and (i32.add (global.get $next) (i32.const 7)) (i32.const -8)))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (local.get $at)))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (alias core export $memory "realloc" (core func $realloc))
    (core func $echo (canon lower (func $echo) async (memory $mem) (realloc $realloc)))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $drop-subtask (canon subtask.drop))
    (core func $return (canon task.return (result (tuple u32 string)) (memory $mem)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "echo" (func $echo (param i32 i32 i32 i32) (result i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return" (func $return (param i32 i32 i32)))
      (func (export "run") (param $ticks i32) (result i32)
        (local $code i32) (local $s i32)
        (i32.store (i32.const 72) (i32.const 72))
        (i32.store (i32.const 76) (i32.const 8))
        (i32.store (i32.const 80) (i32.const 80))
        (i32.store (i32.const 84) (i32.const 8))
        (local.set $code (call $echo (local.get $ticks) (i32.const 72) (i32.const 2) (i32.const 64)))
        (if (i32.shr_u (local.get $code) (i32.const 4))
          (then
            (local.set $s (call $new))
            (call $join (i32.shr_u (local.get $code) (i32.const 4)) (local.get $s))
            (drop (call $wait (local.get $s) (i32.const 32)))
            (call $join (i32.shr_u (local.get $code) (i32.const 4)) (i32.const 0))
            (call $drop-subtask (i32.shr_u (local.get $code) (i32.const 4)))))
        (call $return (local.get $code) (i32.load (i32.const 64)) (i32.load (i32.const 68)))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "echo" (func $echo)) (export "new" (func $new)) (export "wait" (func $wait))
        (export "join" (func $join)) (export "drop-subtask" (func $drop-subtask))
        (export "return" (func $return))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "run") async (param "ticks" u32) (result (tuple u32 string))
      (canon lift (core func $i "run") (memory $mem) (realloc $realloc) async (callback $exit-cb))))
  (instance $caller (instantiate $caller (with "echo" (func $echo))))
  (export "run" (func $caller "run")))
