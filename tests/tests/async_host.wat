;; Async calls of the host (`canon lower ... async` of a root import) from
;; inner components, against the harness's `meld:test/slow` host, whose
;; functions finish after their first argument's number of pending polls
;; (0: at once). The caller logs every status, handle, event and result it
;; sees, as u32s:
;;
;; - `run(a, b)`: `later(a, 1)` from the caller itself, `relay(b, 2)` in
;;   the worker (which calls `later(b, 2)` of the host and adds 1), `sum`
;;   with five parameters (spilled, returns at once), and `pause(b)`
;;   without a result, all at once; then the events in the order they
;;   come, and the results.
;; - `cancel(mode, polls)`: a host subtask cancelled with the async variant
;;   (mode 0) or the blocking one (1), after it returned (2: it yields
;;   until the host's event is in, then cancels: RETURNED), or cancelled
;;   after its terminal event was delivered (3: traps); mode 4 drops it
;;   before it resolved (traps).
;; - `blocking(polls)`: an async-typed export lifted without `async`,
;;   which waits for the host with `waitable-set.wait`.
;;   `blocking-post` is the same with a post-return, which counts its
;;   runs: each adds 10,000 to the results of later `blocking` calls
;;   (the wrapper lifts both stackful; the post-return runs at the task's
;;   end, as wasmtime runs it once it lifted the result).
;;   `blocking-text` returns a string made of `blocking`'s result (and
;;   runs `post`), `blocking-pair` the pair of it and the post-returns run
;;   so far: results through memory.
;;   `blocking-token` (in `meld:test/tokens`) is `blocking` with its
;;   result in a new `token` (an own handle of the caller's resource);
;;   `peek-token` is `blocking` plus a borrowed token's rep * 1,000,000.
;; - `relay(polls, v)`: the worker's, from the host too.
(component
  (import "meld:test/slow" (instance $slow
    (export "later" (func async (param "polls" u32) (param "v" u32) (result u32)))
    (export "pause" (func async (param "polls" u32)))
    (export "sum" (func async (param "polls" u32) (param "a" u32) (param "b" u32)
                                 (param "c" u32) (param "d" u32) (result u32)))))
  (alias export $slow "later" (func $later))
  (alias export $slow "pause" (func $pause))
  (alias export $slow "sum" (func $sum))

  ;; relay(polls, v): the host's later(polls, v) + 1, as a callback-lifted
  ;; task that waits for the host's subtask.
  (component $worker
    (import "later" (func $later async (param "polls" u32) (param "v" u32) (result u32)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $later (canon lower (func $later) async (memory $mem)))
    (core func $new (canon waitable-set.new))
    (core func $join (canon waitable.join))
    (core func $drop-subtask (canon subtask.drop))
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "later" (func $later (param i32 i32 i32) (result i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return" (func $return (param i32)))
      (func (export "relay") (param $polls i32) (param $v i32) (result i32)
        (local $code i32) (local $s i32)
        (local.set $code (call $later (local.get $polls) (local.get $v) (i32.const 64)))
        (if (i32.eq (local.get $code) (i32.const 2))
          (then
            (call $return (i32.add (i32.load (i32.const 64)) (i32.const 1)))
            (return (i32.const 0))))
        (local.set $s (call $new))
        (call $join (i32.shr_u (local.get $code) (i32.const 4)) (local.get $s))
        ;; WAIT on the set
        (i32.or (i32.const 2) (i32.shl (local.get $s) (i32.const 4))))
      (func (export "relay-cb") (param $event i32) (param $h i32) (param $status i32) (result i32)
        (if (i32.ne (local.get $event) (i32.const 1)) (then unreachable))
        (if (i32.ne (local.get $status) (i32.const 2)) (then unreachable))
        (call $join (local.get $h) (i32.const 0))
        (call $drop-subtask (local.get $h))
        (call $return (i32.add (i32.load (i32.const 64)) (i32.const 1)))
        (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "later" (func $later)) (export "new" (func $new)) (export "join" (func $join))
        (export "drop-subtask" (func $drop-subtask)) (export "return" (func $return))))))
    (alias core export $i "relay-cb" (core func $relay-cb))
    (func (export "relay") async (param "polls" u32) (param "v" u32) (result u32)
      (canon lift (core func $i "relay") async (callback $relay-cb))))
  (instance $worker (instantiate $worker (with "later" (func $later))))

  (component $caller
    (import "later" (func $later async (param "polls" u32) (param "v" u32) (result u32)))
    (import "pause" (func $pause async (param "polls" u32)))
    (import "sum" (func $sum async (param "polls" u32) (param "a" u32) (param "b" u32)
                                   (param "c" u32) (param "d" u32) (result u32)))
    (import "relay" (func $relay async (param "polls" u32) (param "v" u32) (result u32)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $later (canon lower (func $later) async (memory $mem)))
    (core func $pause (canon lower (func $pause) async))
    (core func $sum (canon lower (func $sum) async (memory $mem)))
    (core func $relay (canon lower (func $relay) async (memory $mem)))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $drop-subtask (canon subtask.drop))
    (core func $cancel (canon subtask.cancel))
    (core func $cancel-async (canon subtask.cancel async))
    (core func $yield (canon thread.yield))
    (core func $return (canon task.return (result (list u32)) (memory $mem)))
    (type $token (resource (rep i32)))
    (core func $token-new (canon resource.new $token))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "token-new" (func $token-new (param i32) (result i32)))
      (import "cm" "later" (func $later (param i32 i32 i32) (result i32)))
      (import "cm" "pause" (func $pause (param i32) (result i32)))
      (import "cm" "sum" (func $sum (param i32 i32) (result i32)))
      (import "cm" "relay" (func $relay (param i32 i32 i32) (result i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "cancel" (func $cancel (param i32) (result i32)))
      (import "cm" "cancel-async" (func $cancel-async (param i32) (result i32)))
      (import "cm" "yield" (func $yield (result i32)))
      (import "cm" "return" (func $return (param i32 i32)))
      (global $count (mut i32) (i32.const 0))
      (global $set (mut i32) (i32.const 0))
      (global $left (mut i32) (i32.const 0))
      ;; how many times `post` ran
      (global $posts (mut i32) (i32.const 0))
      ;; the log, at 4096
      (func $out (param i32)
        (i32.store (i32.add (i32.const 4096) (i32.shl (global.get $count) (i32.const 2)))
          (local.get 0))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      ;; logs a call's status (and handle), and follows its subtask
      (func $started (param $code i32)
        (call $out (local.get $code))
        (if (i32.shr_u (local.get $code) (i32.const 4))
          (then
            (call $join (i32.shr_u (local.get $code) (i32.const 4)) (global.get $set))
            (global.set $left (i32.add (global.get $left) (i32.const 1))))))
      ;; waits for every followed subtask, logging each event
      (func $drain
        (block $done
          (loop $again
            (br_if $done (i32.eqz (global.get $left)))
            (call $out (call $wait (global.get $set) (i32.const 32)))
            (call $out (i32.load (i32.const 32)))
            (call $out (i32.load (i32.const 36)))
            (if (i32.ge_u (i32.load (i32.const 36)) (i32.const 2))
              (then
                (call $join (i32.load (i32.const 32)) (i32.const 0))
                (call $drop-subtask (i32.load (i32.const 32)))
                (global.set $left (i32.sub (global.get $left) (i32.const 1)))))
            (br $again))))
      (func $begin
        (global.set $count (i32.const 0))
        (global.set $left (i32.const 0))
        (if (i32.eqz (global.get $set)) (then (global.set $set (call $new)))))
      (func $finish (result i32)
        (call $return (i32.const 4096) (global.get $count))
        (i32.const 0))
      (func (export "run") (param $a i32) (param $b i32) (result i32)
        (call $begin)
        (i32.store (i32.const 128) (i32.const 0))
        (i32.store (i32.const 132) (i32.const 0))
        (call $started (call $later (local.get $a) (i32.const 1) (i32.const 128)))
        (call $started (call $relay (local.get $b) (i32.const 2) (i32.const 132)))
        ;; sum(0, 10, 20, 30, 40): five parameters through a pointer
        (i32.store (i32.const 144) (i32.const 0))
        (i32.store (i32.const 148) (i32.const 10))
        (i32.store (i32.const 152) (i32.const 20))
        (i32.store (i32.const 156) (i32.const 30))
        (i32.store (i32.const 160) (i32.const 40))
        (call $started (call $sum (i32.const 144) (i32.const 136)))
        (call $out (i32.load (i32.const 136)))
        (call $started (call $pause (local.get $b)))
        (call $drain)
        (call $out (i32.load (i32.const 128)))
        (call $out (i32.load (i32.const 132)))
        (call $finish))
      (func (export "cancel") (param $mode i32) (param $polls i32) (result i32)
        (local $code i32) (local $h i32) (local $r i32) (local $i i32)
        (call $begin)
        (i32.store (i32.const 128) (i32.const 0))
        (local.set $code (call $later (local.get $polls) (i32.const 7) (i32.const 128)))
        (call $out (local.get $code))
        (local.set $h (i32.shr_u (local.get $code) (i32.const 4)))
        (if (i32.eqz (local.get $h)) (then (return (call $finish))))
        (block $modes
          (block $m4
            (block $m3
              (block $m2
                (block $m1
                  (block $m0
                    (br_table $m0 $m1 $m2 $m3 $m4 (local.get $mode)))
                  ;; 0: async cancel; BLOCKED (-1) waits for the event
                  (local.set $r (call $cancel-async (local.get $h)))
                  (call $out (local.get $r))
                  (if (i32.eq (local.get $r) (i32.const -1))
                    (then
                      (call $join (local.get $h) (global.get $set))
                      (global.set $left (i32.const 1))
                      (call $drain))
                    (else (call $drop-subtask (local.get $h))))
                  (br $modes))
                ;; 1: blocking cancel
                (call $out (call $cancel (local.get $h)))
                (call $drop-subtask (local.get $h))
                (br $modes))
              ;; 2: yield until the host's future is done, then cancel
              (local.set $i (i32.add (local.get $polls) (i32.const 4)))
              (loop $spin
                (drop (call $yield))
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br_if $spin (local.get $i)))
              (call $out (call $cancel (local.get $h)))
              (call $drop-subtask (local.get $h))
              (br $modes))
            ;; 3: the terminal event delivered, then a cancel traps
            (call $join (local.get $h) (global.get $set))
            (call $out (call $wait (global.get $set) (i32.const 32)))
            (drop (call $cancel-async (local.get $h)))
            (br $modes))
          ;; 4: dropped before it resolved: traps
          (call $drop-subtask (local.get $h)))
        (call $out (i32.load (i32.const 128)))
        (call $finish))
      (func $blocking (export "blocking") (param $polls i32) (result i32)
        (local $code i32)
        (call $begin)
        (i32.store16 (i32.const 1024) (i32.const 0x7878))
        (i32.store (i32.const 128) (i32.const 0))
        (call $started (call $later (local.get $polls) (i32.const 5) (i32.const 128)))
        (call $drain)
        (i32.add (i32.load (i32.const 128))
          (i32.add (i32.mul (global.get $count) (i32.const 100))
                   (i32.mul (global.get $posts) (i32.const 10000)))))
      ;; `blocking`, its result's last digit after a "t" in a string (at
      ;; 1024, which `blocking` overwrites when it starts)
      (func (export "blocking-text") (param $polls i32) (result i32)
        (local $v i32)
        (local.set $v (call $blocking (local.get $polls)))
        (i32.store8 (i32.const 1024) (i32.const 116))
        (i32.store8 (i32.const 1025)
          (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
        (i32.store (i32.const 1040) (i32.const 1024))
        (i32.store (i32.const 1044) (i32.const 2))
        (i32.const 1040))
      ;; `blocking` and the number of post-returns so far, as a pair
      (func (export "blocking-pair") (param $polls i32) (result i32)
        (i32.store (i32.const 1056) (call $blocking (local.get $polls)))
        (i32.store (i32.const 1060) (global.get $posts))
        (i32.const 1056))
      ;; `blocking` + a borrowed token's rep * 1,000,000
      (func (export "peek-token") (param $polls i32) (param $t i32) (result i32)
        (i32.add (call $blocking (local.get $polls))
          (i32.mul (local.get $t) (i32.const 1000000))))
      ;; `blocking`, its result in a new token (an own handle)
      (func (export "blocking-token") (param $polls i32) (result i32)
        (call $token-new (call $blocking (local.get $polls))))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0))
      (func (export "post") (param i32)
        (global.set $posts (i32.add (global.get $posts) (i32.const 1)))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "later" (func $later)) (export "pause" (func $pause)) (export "sum" (func $sum))
        (export "relay" (func $relay)) (export "new" (func $new)) (export "wait" (func $wait))
        (export "join" (func $join)) (export "drop-subtask" (func $drop-subtask))
        (export "cancel" (func $cancel)) (export "cancel-async" (func $cancel-async))
        (export "yield" (func $yield)) (export "return" (func $return))
        (export "token-new" (func $token-new))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "run") async (param "a" u32) (param "b" u32) (result (list u32))
      (canon lift (core func $i "run") (memory $mem) async (callback $exit-cb)))
    (func (export "cancel") async (param "mode" u32) (param "polls" u32) (result (list u32))
      (canon lift (core func $i "cancel") (memory $mem) async (callback $exit-cb)))
    (func (export "blocking") async (param "polls" u32) (result u32)
      (canon lift (core func $i "blocking")))
    (func (export "blocking-post") async (param "polls" u32) (result u32)
      (canon lift (core func $i "blocking") (post-return (core func $i "post"))))
    (func (export "blocking-text") async (param "polls" u32) (result string)
      (canon lift (core func $i "blocking-text") (memory $mem) (post-return (core func $i "post"))))
    (func (export "blocking-pair") async (param "polls" u32) (result (tuple u32 u32))
      (canon lift (core func $i "blocking-pair") (memory $mem)))
    (export $token-t "token" (type $token))
    (func (export "blocking-token") async (param "polls" u32) (result (own $token-t))
      (canon lift (core func $i "blocking-token")))
    (func (export "peek-token") async (param "polls" u32) (param "t" (borrow $token-t)) (result u32)
      (canon lift (core func $i "peek-token"))))
  (instance $caller (instantiate $caller
    (with "later" (func $later))
    (with "pause" (func $pause))
    (with "sum" (func $sum))
    (with "relay" (func $worker "relay"))))
  (export "run" (func $caller "run"))
  (export "cancel" (func $caller "cancel"))
  (export "blocking" (func $caller "blocking"))
  (export "blocking-post" (func $caller "blocking-post"))
  (export "blocking-text" (func $caller "blocking-text"))
  (export "blocking-pair" (func $caller "blocking-pair"))
  (instance $tokens
    (export "token" (type $caller "token"))
    (export "blocking-token" (func $caller "blocking-token"))
    (export "peek-token" (func $caller "peek-token")))
  (export "meld:test/tokens" (instance $tokens))
  (export "relay" (func $worker "relay")))
