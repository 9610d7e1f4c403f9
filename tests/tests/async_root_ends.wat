;; Future ends crossing the fused component's boundary: `make` returns a
;; future `$a` wrote to (the host reads it), `pass` takes a future the
;; host writes and passes it on to `$b`, which reads it; `relay` takes
;; one, `$a` reads it and writes what it read plus one to a new future it
;; returns.
(component
  (type $num (future u32))
  (component $b
    (type $num (future u32))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $f-read (canon future.read $num (memory $mem) async))
    (core func $f-drop-r (canon future.drop-readable $num))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "f-read" (func $f-read (param i32 i32) (result i32)))
      (import "cm" "f-drop-r" (func $f-drop-r (param i32)))
      ;; the read's code * 1000 + the value; the handle * 100000
      (func (export "take") (param $f i32) (result i32)
        (local $code i32)
        (i32.store (i32.const 200) (i32.const 0))
        (local.set $code (call $f-read (local.get $f) (i32.const 200)))
        (call $f-drop-r (local.get $f))
        (i32.add (i32.mul (local.get $f) (i32.const 100000))
          (i32.add (i32.mul (local.get $code) (i32.const 1000)) (i32.load (i32.const 200))))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance (export "f-read" (func $f-read)) (export "f-drop-r" (func $f-drop-r))))))
    (func (export "take") (param "f" $num) (result u32) (canon lift (core func $i "take"))))

  (component $a
    (type $num (future u32))
    (import "b" (instance $b
      (type $num (future u32))
      (export "take" (func (param "f" $num) (result u32)))))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $f-new (canon future.new $num))
    (core func $f-read (canon future.read $num (memory $mem) async))
    (core func $f-write (canon future.write $num (memory $mem) async))
    (core func $f-drop-r (canon future.drop-readable $num))
    (core func $take (canon lower (func $b "take")))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "f-new" (func $f-new (result i64)))
      (import "cm" "f-read" (func $f-read (param i32 i32) (result i32)))
      (import "cm" "f-write" (func $f-write (param i32 i32) (result i32)))
      (import "cm" "f-drop-r" (func $f-drop-r (param i32)))
      (import "b" "take" (func $take (param i32) (result i32)))
      ;; writes `v` to a new future (pending until the host reads): its
      ;; readable end
      (func $make (export "make") (param $v i32) (result i32)
        (local $pair i64) (local $at i32)
        (local.set $pair (call $f-new))
        ;; each pending write needs its own value
        (local.set $at (i32.add (i32.const 1024)
                         (i32.shl (i32.wrap_i64 (local.get $pair)) (i32.const 2))))
        (i32.store (local.get $at) (local.get $v))
        (drop (call $f-write (i32.wrap_i64 (i64.shr_u (local.get $pair) (i64.const 32)))
                (local.get $at)))
        (i32.wrap_i64 (local.get $pair)))
      (func (export "pass") (param $f i32) (result i32)
        (call $take (local.get $f)))
      (func (export "relay") (param $f i32) (result i32)
        (local $code i32)
        (local.set $code (call $f-read (local.get $f) (i32.const 16)))
        (call $f-drop-r (local.get $f))
        (call $make (i32.add (i32.add (i32.load (i32.const 16)) (i32.const 1))
                             (i32.mul (local.get $code) (i32.const 1000))))))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "f-new" (func $f-new)) (export "f-read" (func $f-read))
        (export "f-write" (func $f-write)) (export "f-drop-r" (func $f-drop-r))))
      (with "b" (instance (export "take" (func $take))))))
    (func (export "make") (param "v" u32) (result $num) (canon lift (core func $i "make")))
    (func (export "pass") (param "f" $num) (result u32) (canon lift (core func $i "pass")))
    (func (export "relay") (param "f" $num) (result $num) (canon lift (core func $i "relay"))))
  (instance $b (instantiate $b))
  (instance $a (instantiate $a (with "b" (instance $b))))
  (export "make" (func $a "make"))
  (export "pass" (func $a "pass"))
  (export "relay" (func $a "relay")))
