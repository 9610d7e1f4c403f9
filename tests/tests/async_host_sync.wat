;; Sync lowers of the host's async functions from inner async tasks, against
;; the harness's `meld:test/slow` host (its calls finish after their first
;; argument's number of pending polls; 0: at once). In wasmtime 48 a task
;; that calls the host through a sync lower blocks until the host answers,
;; and the other tasks run meanwhile; the caller logs what it sees, as u32s:
;;
;; - `run(a, b)`: async calls of the worker's `wait(a, 7)` and `wait(b, 9)`
;;   (each a task that calls the host's `later(polls, v)` through a sync
;;   lower and returns its result + 1): their statuses, then the events of
;;   the subtasks that did not return at once (handle, state) in the order
;;   they come, then the two results.
;; - `wait(polls, v)`: the worker's, from the host too.
;; - `cancel(polls, sync)`: an async call of the worker's `wait(polls, 7)`
;;   and its status; if the subtask started (blocked in the host call), a
;;   `subtask.cancel` (async, or sync if `sync` is not 0) and its code;
;;   when the async cancel is BLOCKED, the subtask's event (handle, state);
;;   then the result slot. A task blocked in a sync call is not at a
;;   point where it can be cancelled, so it returns normally.
;; - `poke(polls, v)`: the worker's sync-typed export making the same sync
;;   call of the host: its task may not block, so it traps, whether or
;;   not the host would answer at once.
(component
  (import "meld:test/slow" (instance $slow
    (export "later" (func async (param "polls" u32) (param "v" u32) (result u32)))))
  (alias export $slow "later" (func $later))

  (component $worker
    (import "later" (func $later async (param "polls" u32) (param "v" u32) (result u32)))
    (core func $later (canon lower (func $later)))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "cm" "later" (func $later (param i32 i32) (result i32)))
      (import "cm" "return" (func $return (param i32)))
      (func (export "wait") (param $polls i32) (param $v i32) (result i32)
        (call $return (i32.add (call $later (local.get $polls) (local.get $v)) (i32.const 1)))
        (i32.const 0))
      (func (export "wait-cb") (param i32 i32 i32) (result i32)
        unreachable)
      (func (export "poke") (param $polls i32) (param $v i32) (result i32)
        (i32.add (call $later (local.get $polls) (local.get $v)) (i32.const 1))))
    (core instance $i (instantiate $m
      (with "cm" (instance (export "later" (func $later)) (export "return" (func $return))))))
    (alias core export $i "wait-cb" (core func $wait-cb))
    (func (export "wait") async (param "polls" u32) (param "v" u32) (result u32)
      (canon lift (core func $i "wait") async (callback $wait-cb)))
    (func (export "poke") (param "polls" u32) (param "v" u32) (result u32)
      (canon lift (core func $i "poke"))))
  (instance $worker (instantiate $worker (with "later" (func $later))))

  (component $caller
    (import "wait" (func $wait async (param "polls" u32) (param "v" u32) (result u32)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $wait (canon lower (func $wait) async (memory $mem)))
    (core func $new (canon waitable-set.new))
    (core func $set-wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $drop-subtask (canon subtask.drop))
    (core func $return (canon task.return (result (list u32)) (memory $mem)))
    (core func $cancel (canon subtask.cancel async))
    (core func $cancel-sync (canon subtask.cancel))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "wait" (func $wait (param i32 i32 i32) (result i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "set-wait" (func $set-wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return" (func $return (param i32 i32)))
      (import "cm" "cancel" (func $cancel (param i32) (result i32)))
      (import "cm" "cancel-sync" (func $cancel-sync (param i32) (result i32)))
      (global $count (mut i32) (i32.const 0))
      ;; the log, at 4096
      (func $out (param i32)
        (i32.store (i32.add (i32.const 4096) (i32.shl (global.get $count) (i32.const 2)))
          (local.get 0))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      (func (export "run") (param $a i32) (param $b i32)
        (local $set i32) (local $left i32) (local $code i32)
        (local.set $set (call $new))
        (local.set $code (call $wait (local.get $a) (i32.const 7) (i32.const 64)))
        (call $out (local.get $code))
        (if (i32.shr_u (local.get $code) (i32.const 4))
          (then
            (call $join (i32.shr_u (local.get $code) (i32.const 4)) (local.get $set))
            (local.set $left (i32.add (local.get $left) (i32.const 1)))))
        (local.set $code (call $wait (local.get $b) (i32.const 9) (i32.const 68)))
        (call $out (local.get $code))
        (if (i32.shr_u (local.get $code) (i32.const 4))
          (then
            (call $join (i32.shr_u (local.get $code) (i32.const 4)) (local.get $set))
            (local.set $left (i32.add (local.get $left) (i32.const 1)))))
        (block $done
          (loop $events
            (br_if $done (i32.eqz (local.get $left)))
            (drop (call $set-wait (local.get $set) (i32.const 32)))
            (call $out (i32.load (i32.const 32)))
            (call $out (i32.load (i32.const 36)))
            (if (i32.eq (i32.load (i32.const 36)) (i32.const 2))
              (then
                (call $join (i32.load (i32.const 32)) (i32.const 0))
                (call $drop-subtask (i32.load (i32.const 32)))
                (local.set $left (i32.sub (local.get $left) (i32.const 1)))))
            (br $events)))
        (call $out (i32.load (i32.const 64)))
        (call $out (i32.load (i32.const 68)))
        (call $return (i32.const 4096) (global.get $count))
        (global.set $count (i32.const 0)))
      (func (export "cancel") (param $polls i32) (param $sync i32)
        (local $set i32) (local $code i32) (local $sub i32)
        (local.set $set (call $new))
        (i32.store (i32.const 64) (i32.const 0))
        (local.set $code (call $wait (local.get $polls) (i32.const 7) (i32.const 64)))
        (call $out (local.get $code))
        (local.set $sub (i32.shr_u (local.get $code) (i32.const 4)))
        (if (local.get $sub)
          (then
            (if (local.get $sync)
              (then (call $out (call $cancel-sync (local.get $sub))))
              (else
                (local.set $code (call $cancel (local.get $sub)))
                (call $out (local.get $code))
                (if (i32.eq (local.get $code) (i32.const -1))
                  (then
                    (call $join (local.get $sub) (local.get $set))
                    (drop (call $set-wait (local.get $set) (i32.const 32)))
                    (call $out (i32.load (i32.const 32)))
                    (call $out (i32.load (i32.const 36)))
                    (call $join (local.get $sub) (i32.const 0))))))
            (call $drop-subtask (local.get $sub))))
        (call $out (i32.load (i32.const 64)))
        (call $return (i32.const 4096) (global.get $count))
        (global.set $count (i32.const 0))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "wait" (func $wait)) (export "new" (func $new))
        (export "set-wait" (func $set-wait)) (export "join" (func $join))
        (export "drop-subtask" (func $drop-subtask)) (export "return" (func $return))
        (export "cancel" (func $cancel)) (export "cancel-sync" (func $cancel-sync))))))
    (func (export "run") async (param "a" u32) (param "b" u32) (result (list u32))
      (canon lift (core func $i "run") async (memory $mem)))
    (func (export "cancel") async (param "polls" u32) (param "sync" u32) (result (list u32))
      (canon lift (core func $i "cancel") async (memory $mem))))
  (instance $caller (instantiate $caller (with "wait" (func $worker "wait"))))
  (export "run" (func $caller "run"))
  (export "cancel" (func $caller "cancel"))
  (export "wait" (func $worker "wait"))
  (export "poke" (func $worker "poke")))
