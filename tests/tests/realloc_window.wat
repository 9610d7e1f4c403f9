;; The window inside the host's lowering of a sync export's parameters,
;; or of a host function's result: wasmtime calls the component's realloc
;; for each string after it wrote the handles before it in the list, so
;; the realloc can rewrite them.
;; `aim(guess)` arms the realloc: from its second call on it writes
;; `guess` over the first handle of the first block it gave out (the
;; list). In the original that is a number in the component's own table:
;; 1 is the thing the host passed, anything else traps. Fused, the
;; parameters must never lie in the component's memory as the host's
;; handle numbers, or a guess reaches the thing the other component holds
;; (`hold(9)`): `take` and `peek` give the value of the first thing.
;; `take` also returns that thing to the host (a result through memory
;; holding a handle), and its post-return records the area it is given.
;; `grab(guess)` arms the realloc the same way and calls the host's
;; `make-named(1)`, which gives `[(thing 7, "x")]`; it gives the value of
;; the first thing.
(component
  (import "thing" (type $thing (sub resource)))
  (import "make-thing" (func $make-thing (param "v" u32) (result (own $thing))))
  (import "thing-value" (func $thing-value (param "t" (borrow $thing)) (result u32)))
  (import "make-named" (func $make-named (param "n" u32)
    (result (list (tuple (own $thing) string)))))
  (component $holder
    (import "thing" (type $thing (sub resource)))
    (import "make-thing" (func $make-thing (param "v" u32) (result (own $thing))))
    (core func $make (canon lower (func $make-thing)))
    (core module $m
      (import "cm" "make" (func $make (param i32) (result i32)))
      (global $held (mut i32) (i32.const 0))
      (func (export "hold") (param $v i32)
        (global.set $held (call $make (local.get $v)))))
    (core instance $i (instantiate $m (with "cm" (instance (export "make" (func $make))))))
    (func (export "hold") (param "v" u32) (canon lift (core func $i "hold"))))
  (component $c
    (import "thing" (type $thing (sub resource)))
    (import "thing-value" (func $thing-value (param "t" (borrow $thing)) (result u32)))
    (import "make-named" (func $make-named (param "n" u32)
      (result (list (tuple (own $thing) string)))))
    (core module $memory
      (memory (export "mem") 1)
      (global $guess (export "guess") (mut i32) (i32.const -1))
      ;; the first block the realloc gave out since `aim` (0: none yet)
      (global $first (export "first") (mut i32) (i32.const 0))
      (global $next (mut i32) (i32.const 8192))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (if (i32.and (i32.ne (global.get $first) (i32.const 0))
                     (i32.ne (global.get $guess) (i32.const -1)))
          (then (i32.store (global.get $first) (global.get $guess))))
        (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                                (i32.sub (i32.const 0) (local.get 2))))
        (global.set $next (i32.add (local.get $at) (local.get 3)))
        (if (i32.eqz (global.get $first)) (then (global.set $first (local.get $at))))
        (local.get $at)))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (alias core export $memory "realloc" (core func $realloc))
    (alias core export $memory "guess" (core global $guess))
    (alias core export $memory "first" (core global $first))
    (core func $value (canon lower (func $thing-value)))
    (core func $drop (canon resource.drop $thing))
    (core func $make-named (canon lower (func $make-named) (memory $mem) (realloc $realloc)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "mem" "guess" (global $guess (mut i32)))
      (import "mem" "first" (global $first (mut i32)))
      (import "cm" "value" (func $value (param i32) (result i32)))
      (import "cm" "drop" (func $drop (param i32)))
      (import "cm" "make-named" (func $make-named (param i32 i32)))
      ;; 1 once post-return got the area `take` returned, 2 if another
      (global $posted (mut i32) (i32.const 0))
      (func (export "aim") (param $guess i32)
        (global.set $guess (local.get $guess))
        (global.set $first (i32.const 0)))
      (func (export "take") (param $ptr i32) (param $len i32) (result i32)
        (local $h i32)
        (global.set $guess (i32.const -1))
        (local.set $h (i32.load (local.get $ptr)))
        (i32.store (i32.const 64) (call $value (local.get $h)))
        (i32.store (i32.const 68) (local.get $h))
        (i32.const 64))
      (func (export "post-take") (param $area i32)
        (global.set $posted (select (i32.const 1) (i32.const 2)
                                    (i32.eq (local.get $area) (i32.const 64)))))
      (func (export "peek") (param $ptr i32) (param $len i32) (result i32)
        (local $h i32)
        (global.set $guess (i32.const -1))
        (local.set $h (i32.load (local.get $ptr)))
        (call $value (local.get $h))
        (call $drop (local.get $h)))
      (func (export "grab") (param $guess i32) (result i32)
        (global.set $guess (local.get $guess))
        (global.set $first (i32.const 0))
        (call $make-named (i32.const 1) (i32.const 96))
        (global.set $guess (i32.const -1))
        (call $value (i32.load (i32.load (i32.const 96)))))
      (func (export "posted") (result i32) (global.get $posted)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem)) (export "guess" (global $guess))
                            (export "first" (global $first))))
      (with "cm" (instance (export "value" (func $value)) (export "drop" (func $drop))
                           (export "make-named" (func $make-named))))))
    (func (export "aim") (param "guess" s32) (canon lift (core func $i "aim")))
    (func (export "take") (param "things" (list (tuple (own $thing) string)))
      (result (tuple u32 (own $thing)))
      (canon lift (core func $i "take") (memory $mem) (realloc $realloc)
        (post-return (core func $i "post-take"))))
    (func (export "peek") (param "things" (list (tuple (borrow $thing) string))) (result u32)
      (canon lift (core func $i "peek") (memory $mem) (realloc $realloc)))
    (func (export "grab") (param "guess" s32) (result u32) (canon lift (core func $i "grab")))
    (func (export "posted") (result u32) (canon lift (core func $i "posted"))))
  ;; napper: an async export, so that the fused module has meld's async
  ;; runtime, whose tasks call the sync exports (the test also runs the
  ;; composition without these lines)
  (component $napper
    (core func $return (canon task.return (result u32)))
    (core module $m
      (import "cm" "return" (func $return (param i32)))
      (func (export "nap") (result i32) (call $return (i32.const 5)) (i32.const 0))
      (func (export "nap-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m (with "cm" (instance (export "return" (func $return))))))
    (func (export "nap") async (result u32)
      (canon lift (core func $i "nap") async (callback (core func $i "nap-cb")))))
  (instance $napper (instantiate $napper))
  (export "nap" (func $napper "nap"))
  ;; napper end
  (instance $holder (instantiate $holder
    (with "thing" (type $thing))
    (with "make-thing" (func $make-thing))))
  (instance $c (instantiate $c
    (with "thing" (type $thing))
    (with "thing-value" (func $thing-value))
    (with "make-named" (func $make-named))))
  (export "hold" (func $holder "hold"))
  (export "aim" (func $c "aim"))
  (export "take" (func $c "take"))
  (export "peek" (func $c "peek"))
  (export "grab" (func $c "grab"))
  (export "posted" (func $c "posted")))
