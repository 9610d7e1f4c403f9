;; A host thing lent by the holder to the peer arrives as a handle of the
;; peer's table (1); moved to the peer it stays there, and the holder's
;; number for it no longer works; the peer's number does not work in the
;; holder, nor the holder's in the peer.
;; CALL run 6 => [106106]
;; CALL step 8 => [1]
;; CALL peer-value 1 => [8]
;; CALL run 0 => trap
;; CALL step 9 => [1]
;; CALL peer-value 2 => trap
;; CALL log => [0]
(component
  (import "meld:test/host" (instance $host
    (export "thing" (type $thing (sub resource)))
    (export "[constructor]thing" (func (param "v" u32) (result (own $thing))))
    (export "[method]thing.value" (func (param "self" (borrow $thing)) (result u32)))
    (type $borrows (list (borrow $thing)))
    (export "sum" (func (param "things" $borrows) (result u32)))
    (type $owns (list (own $thing)))
    (export "make-list" (func (param "n" u32) (result $owns)))
    (export "take" (func (param "t" (own $thing)) (result u32)))
    (type $reps (list u32))
    (export "dropped" (func (result $reps)))))
  (alias export $host "thing" (type $thing))

  ;; receives things from the holder: a borrow (reads it, drops it) or
  ;; an own (keeps it), and raw numbers to try as handles
  (component $peer
    (import "meld:test/host" (instance $h
      (export "thing" (type $thing (sub resource)))
      (export "[method]thing.value" (func (param "self" (borrow $thing)) (result u32)))))
    (alias export $h "thing" (type $thing))
    (core func $value (canon lower (func $h "[method]thing.value")))
    (core func $drop (canon resource.drop $thing))
    (core module $main
      (import "h" "value" (func $value (param i32) (result i32)))
      (import "h" "drop" (func $drop (param i32)))
      (func (export "peek") (param i32) (result i32)
        (local $v i32)
        (local.set $v (call $value (local.get 0)))
        (call $drop (local.get 0))
        (i32.add (i32.mul (local.get 0) (i32.const 100)) (local.get $v)))
      (func (export "keep") (param i32) (result i32) (local.get 0))
      (func (export "value") (param i32) (result i32) (call $value (local.get 0))))
    (core instance $m (instantiate $main
      (with "h" (instance (export "value" (func $value)) (export "drop" (func $drop))))))
    (func (export "peek") (param "t" (borrow $thing)) (result u32) (canon lift (core func $m "peek")))
    (func (export "keep") (param "t" (own $thing)) (result u32) (canon lift (core func $m "keep")))
    (func (export "value") (param "h" u32) (result u32) (canon lift (core func $m "value"))))

  ;; holds things of the host; `run` and `step` are the case's
  (component $holder
    (import "meld:test/host" (instance $h
      (export "thing" (type $thing (sub resource)))
      (export "[constructor]thing" (func (param "v" u32) (result (own $thing))))
      (export "[method]thing.value" (func (param "self" (borrow $thing)) (result u32)))
      (type $borrows (list (borrow $thing)))
      (export "sum" (func (param "things" $borrows) (result u32)))
      (type $owns (list (own $thing)))
      (export "make-list" (func (param "n" u32) (result $owns)))
      (export "take" (func (param "t" (own $thing)) (result u32)))
      (type $reps (list u32))
      (export "dropped" (func (result $reps)))))
    (alias export $h "thing" (type $thing))
    (import "peek" (func $peek (param "t" (borrow $thing)) (result u32)))
    (import "keep" (func $keep (param "t" (own $thing)) (result u32)))
    (core module $heap
      (memory (export "mem") 1)
      (global $next (mut i32) (i32.const 4096))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (i32.add (local.get 3) (i32.const 8))))
        (local.get $at)))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (alias core export $heap "realloc" (core func $realloc))
    (core func $new (canon lower (func $h "[constructor]thing")))
    (core func $value (canon lower (func $h "[method]thing.value")))
    (core func $sum (canon lower (func $h "sum") (memory $mem)))
    (core func $make-list (canon lower (func $h "make-list") (memory $mem) (realloc $realloc)))
    (core func $take (canon lower (func $h "take")))
    (core func $dropped (canon lower (func $h "dropped") (memory $mem) (realloc $realloc)))
    (core func $peek (canon lower (func $peek)))
    (core func $keep (canon lower (func $keep)))
    (core func $drop (canon resource.drop $thing))
    (core module $main
      (import "h" "mem" (memory 1))
      (import "h" "new" (func $new (param i32) (result i32)))
      (import "h" "value" (func $value (param i32) (result i32)))
      (import "h" "sum" (func $sum (param i32 i32) (result i32)))
      (import "h" "make-list" (func $make-list (param i32 i32)))
      (import "h" "take" (func $take (param i32) (result i32)))
      (import "h" "dropped" (func $dropped (param i32)))
      (import "h" "peek" (func $peek (param i32) (result i32)))
      (import "h" "keep" (func $keep (param i32) (result i32)))
      (import "h" "drop" (func $drop (param i32)))
      ;; the host's drop log as digits
      (func $log (result i32)
        (local $p i32) (local $n i32) (local $acc i32)
        (call $dropped (i32.const 16))
        (local.set $p (i32.load (i32.const 16)))
        (local.set $n (i32.load (i32.const 20)))
        (block $done (loop $next
          (br_if $done (i32.eqz (local.get $n)))
          (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 10)) (i32.load (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $n (i32.sub (local.get $n) (i32.const 1)))
          (br $next)))
        (local.get $acc))
      (func (export "log") (result i32) (call $log))
      (global $t (mut i32) (i32.const 0))
      ;; lends thing(x) to the peer twice; run 0 uses the moved thing
      (func (export "run") (param i32) (result i32)
        (if (i32.eqz (local.get 0)) (then (return (call $value (global.get $t)))))
        (global.set $t (call $new (local.get 0)))
        (i32.add (i32.mul (call $peek (global.get $t)) (i32.const 1000)) (call $peek (global.get $t))))
      ;; moves thing(x) to the peer: its handle there
      (func (export "step") (param i32) (result i32)
        (global.set $t (call $new (local.get 0)))
        (call $keep (global.get $t))))
    (core instance $m (instantiate $main
      (with "h" (instance (export "mem" (memory $mem))
        (export "new" (func $new)) (export "value" (func $value)) (export "sum" (func $sum))
        (export "make-list" (func $make-list)) (export "take" (func $take))
        (export "dropped" (func $dropped)) (export "peek" (func $peek)) (export "keep" (func $keep))
        (export "drop" (func $drop))))))
    (func (export "run") (param "x" u32) (result u32) (canon lift (core func $m "run")))
    (func (export "step") (param "x" u32) (result u32) (canon lift (core func $m "step")))
    (func (export "log") (result u32) (canon lift (core func $m "log"))))

  (instance $peer (instantiate $peer (with "meld:test/host" (instance $host))))
  (instance $holder (instantiate $holder (with "meld:test/host" (instance $host))
    (with "peek" (func $peer "peek")) (with "keep" (func $peer "keep"))))
  (export "run" (func $holder "run"))
  (export "step" (func $holder "step"))
  (export "log" (func $holder "log"))
  (export "peer-value" (func $peer "value")))
