;; Exceptions do not cross component boundaries in async calls either: an
;; exception leaving an async-lifted function (at once or in its callback)
;; or the caller's realloc that a callee's `task.return` calls traps, and
;; the `try_table` of the component on the other side (which would return
;; normally) never catches it. The caller's exports are async (stackful),
;; so that they may block. `sync(b)` lowers `work` synchronously, `async(b)`
;; with the async ABI and waits for it; `b` makes `work` throw at once,
;; else its callback throws. `text()` gets a string through `task.return`
;; into a memory whose realloc throws; the callee's `try_table` around
;; `task.return` must not catch it either. `fine(n)` returns when `work`'s
;; sibling answers n + 1, nothing throwing. `resume()` yields inside its
;; own `try_table`, then throws, and catches that itself once resumed
;; (meld's suspension of a stackful task passes through the `try_table`).
;; `slow()` awaits the worker's stackful `slow`, which yields twice: its
;; task suspends inside the barrier around it. `cleanup()` is C++'s
;; cleanup pad: it catches its own exception with its reference
;; (`catch_all_ref`), awaits `slow` (the "destructor") with that `exnref`
;; live, then rethrows it and catches it further out (meld saves the
;; `exnref` in a table of its own while the task is suspended).
(component
  (component $worker
    (core module $libc (memory (export "mem") 1) (data (i32.const 100) "hi"))
    (core instance $libc (instantiate $libc))
    (core func $return (canon task.return (result string)
      (memory (core memory $libc "mem"))))
    (core func $return-u32 (canon task.return (result u32)))
    (core func $wyield (canon thread.yield))
    (core module $m
      (import "" "return" (func $return (param i32 i32)))
      (import "" "return-u32" (func $return-u32 (param i32)))
      (import "" "yield" (func $yield (result i32)))
      (func (export "slow")
        (drop (call $yield))
        (drop (call $yield)))
      (tag $t)
      (func (export "work") (param i32) (result i32)
        (if (local.get 0) (then (throw $t)))
        (i32.const 1 (; YIELD ;)))
      (func (export "work-cb") (param i32 i32 i32) (result i32) (throw $t))
      (func (export "fine") (param i32) (result i32)
        (call $return-u32 (i32.add (local.get 0) (i32.const 1)))
        (i32.const 0 (; EXIT ;)))
      (func (export "text") (result i32)
        (block $caught
          (try_table (catch_all $caught)
            (call $return (i32.const 100) (i32.const 2)))
          (return (i32.const 0 (; EXIT ;))))
        (i32.const 0))
      (func (export "cb") (param i32 i32 i32) (result i32) unreachable))
    (core instance $i (instantiate $m
      (with "" (instance
        (export "return" (func $return))
        (export "return-u32" (func $return-u32))
        (export "yield" (func $wyield))))))
    (func (export "slow") async (canon lift (core func $i "slow")))
    (func (export "work") async (param "b" bool)
      (canon lift (core func $i "work") async (callback (core func $i "work-cb"))))
    (func (export "fine") async (param "n" u32) (result u32)
      (canon lift (core func $i "fine") async (callback (core func $i "cb"))))
    (func (export "text") async (result string)
      (canon lift (core func $i "text") async
        (memory (core memory $libc "mem")) (callback (core func $i "cb")))))
  (component $caller
    (import "work" (func $work async (param "b" bool)))
    (import "fine" (func $fine async (param "n" u32) (result u32)))
    (import "text" (func $text async (result string)))
    (import "slow" (func $slow async))
    (core module $libc
      (tag $mine)
      (memory (export "mem") 1)
      (func (export "realloc") (param i32 i32 i32 i32) (result i32) (throw $mine)))
    (core instance $libc (instantiate $libc))
    (core func $work-sync (canon lower (func $work)))
    (core func $work-async (canon lower (func $work) async))
    (core func $fine (canon lower (func $fine)))
    (core func $text (canon lower (func $text) async
      (memory (core memory $libc "mem")) (realloc (core func $libc "realloc"))))
    (core func $slow (canon lower (func $slow) async))
    (core func $new (canon waitable-set.new))
    (core func $join (canon waitable.join))
    (core func $wait (canon waitable-set.wait (memory (core memory $libc "mem"))))
    (core func $yield (canon thread.yield))
    (core module $m
      (import "" "work-sync" (func $work-sync (param i32)))
      (import "" "work-async" (func $work-async (param i32) (result i32)))
      (import "" "fine" (func $fine (param i32) (result i32)))
      (import "" "text" (func $text (param i32) (result i32)))
      (import "" "new" (func $new (result i32)))
      (import "" "join" (func $join (param i32 i32)))
      (import "" "wait" (func $wait (param i32 i32) (result i32)))
      (import "" "yield" (func $yield (result i32)))
      (import "" "slow" (func $slow (result i32)))
      (tag $own)
      (func (export "slow") (call $await (call $slow)))
      (func (export "cleanup")
        (local $e exnref)
        (block $h
          (try_table (catch $own $h)
            (local.set $e
              (block $pad (result exnref)
                (try_table (catch_all_ref $pad) (throw $own))
                unreachable))
            (call $await (call $slow))
            (throw_ref (local.get $e)))
          unreachable))
      (func (export "resume")
        (block $h
          (try_table (catch $own $h)
            (drop (call $yield))
            (throw $own))
          unreachable))
      (func (export "sync") (param i32)
        (block $caught
          (try_table (catch_all $caught)
            (call $work-sync (local.get 0))
            (return))))
      (func $await (param $status i32)
        (local $set i32)
        (local.set $set (call $new))
        (call $join (i32.shr_u (local.get $status) (i32.const 4)) (local.get $set))
        (drop (call $wait (local.get $set) (i32.const 16))))
      (func (export "async") (param i32)
        (block $caught
          (try_table (catch_all $caught)
            (call $await (call $work-async (local.get 0)))
            (return))))
      (func (export "text")
        (block $caught
          (try_table (catch_all $caught)
            (call $await (call $text (i32.const 32)))
            (return))))
      (func (export "fine") (param i32)
        (if (i32.ne (call $fine (local.get 0)) (i32.add (local.get 0) (i32.const 1)))
          (then unreachable))))
    (core instance $i (instantiate $m
      (with "" (instance
        (export "work-sync" (func $work-sync))
        (export "work-async" (func $work-async))
        (export "fine" (func $fine))
        (export "text" (func $text))
        (export "new" (func $new))
        (export "join" (func $join))
        (export "wait" (func $wait))
        (export "yield" (func $yield))
        (export "slow" (func $slow))))))
    (func (export "sync") async (param "b" bool) (canon lift (core func $i "sync")))
    (func (export "async") async (param "b" bool) (canon lift (core func $i "async")))
    (func (export "text") async (canon lift (core func $i "text")))
    (func (export "fine") async (param "n" u32) (canon lift (core func $i "fine")))
    (func (export "resume") async (canon lift (core func $i "resume")))
    (func (export "slow") async (canon lift (core func $i "slow")))
    (func (export "cleanup") async (canon lift (core func $i "cleanup"))))
  (instance $w (instantiate $worker))
  (instance $c (instantiate $caller
    (with "work" (func $w "work"))
    (with "fine" (func $w "fine"))
    (with "text" (func $w "text"))
    (with "slow" (func $w "slow"))))
  (export "sync" (func $c "sync"))
  (export "async" (func $c "async"))
  (export "text" (func $c "text"))
  (export "fine" (func $c "fine"))
  (export "resume" (func $c "resume"))
  (export "slow" (func $c "slow"))
  (export "cleanup" (func $c "cleanup")))
