;; Two instances of one component calling host functions with parameters
;; that point into themselves: `echo` gets a list of two strings, each over
;; its own element (at 72 and 80: `H`, `P`), and returns them in another
;; order, which `relay` returns to the host; `log9` gets nine strings
;; spilled into a tuple at 96 (a backquote), the first over its own
;; pointer field, the others the secret at 0. Fused with one memory, the
;; second instance's pointers move by its region's base for the host: the
;; host must still read the bytes the component wrote.
(component
  (import "echo" (func $echo (param "items" (list string)) (result (list string))))
  (import "log9" (func $log9
    (param "a" string) (param "b" string) (param "c" string)
    (param "d" string) (param "e" string) (param "f" string)
    (param "g" string) (param "h" string) (param "i" string)))
  (component $c
    (import "echo" (func $echo (param "items" (list string)) (result (list string))))
    (import "log9" (func $log9
      (param "a" string) (param "b" string) (param "c" string)
      (param "d" string) (param "e" string) (param "f" string)
      (param "g" string) (param "h" string) (param "i" string)))
    (core module $libc
      (memory (export "mem") 1)
      (data (i32.const 0) "SECRET!!")
      (global $bump (mut i32) (i32.const 1024))
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $p i32)
        (local.set $p
          (i32.and
            (i32.add (global.get $bump) (i32.sub (local.get 2) (i32.const 1)))
            (i32.sub (i32.const 0) (local.get 2))))
        (global.set $bump (i32.add (local.get $p) (local.get 3)))
        (local.get $p)))
    (core instance $libc (instantiate $libc))
    (alias core export $libc "mem" (core memory $mem))
    (alias core export $libc "realloc" (core func $realloc))
    (core func $echo_l (canon lower (func $echo) (memory $mem) (realloc $realloc)))
    (core func $log9_l (canon lower (func $log9) (memory $mem)))
    (core module $m
      (import "libc" "mem" (memory 1))
      (import "host" "echo" (func $echo (param i32 i32 i32)))
      (import "host" "log9" (func $log9 (param i32)))
      (func (export "relay") (result i32)
        (i32.store (i32.const 72) (i32.const 72))
        (i32.store (i32.const 76) (i32.const 8))
        (i32.store (i32.const 80) (i32.const 80))
        (i32.store (i32.const 84) (i32.const 8))
        (call $echo (i32.const 72) (i32.const 2) (i32.const 64))
        (i32.const 64))
      (func (export "log9") (result i32)
        (local $k i32)
        (i32.store (i32.const 96) (i32.const 96))
        (i32.store (i32.const 100) (i32.const 8))
        (local.set $k (i32.const 104))
        (loop $fill
          (i32.store (local.get $k) (i32.const 0))
          (i32.store offset=4 (local.get $k) (i32.const 8))
          (local.set $k (i32.add (local.get $k) (i32.const 8)))
          (br_if $fill (i32.lt_u (local.get $k) (i32.const 168))))
        (call $log9 (i32.const 96))
        (i32.const 9)))
    (core instance $i (instantiate $m
      (with "libc" (instance $libc))
      (with "host" (instance (export "echo" (func $echo_l)) (export "log9" (func $log9_l))))))
    (func (export "relay") (result (list string))
      (canon lift (core func $i "relay") (memory $mem)))
    (func (export "log9") (result u32) (canon lift (core func $i "log9"))))
  (instance $a (instantiate $c (with "echo" (func $echo)) (with "log9" (func $log9))))
  (instance $b (instantiate $c (with "echo" (func $echo)) (with "log9" (func $log9))))
  (export "a" (instance $a))
  (export "b" (instance $b)))
