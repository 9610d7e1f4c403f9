;; Exceptions never cross a component boundary: one that leaves a lifted
;; function, the callee's realloc, its post-return or the caller's realloc
;; traps where the runtime called it ("uncaught exception propagated out
;; of component" in wasmtime), and the caller's `try_table` (which would
;; answer 42) never catches it. An exception thrown and caught inside one
;; component works as before. The scalar call `f` is one meld would make
;; directly without exceptions in the composition.
;; CALL g 0 => [1]
;; CALL g 1 => trap
;; CALL g 3 => [4]
;; CALL w 3 => [3]
;; CALL w 2 => trap
;; CALL w 7 => trap
;; CALL t 5 => [5]
;; CALL t 13 => trap
;; CALL own 0 => [5]
;; CALL f 2 => [3]
;; CALL f 1 => trap
;; CALL g 4 => [5]
(component
  (component $thrower
    (core module $m
      (tag $e (param i32))
      (memory (export "mem") 1)
      (data (i32.const 0x100) "abcdefgh")
      (global $n (mut i32) (i32.const 0))
      ;; throws for 1, else returns x + 1
      (func (export "f") (param i32) (result i32)
        (if (i32.eq (local.get 0) (i32.const 1))
          (then (throw $e (i32.const 7))))
        (i32.add (local.get 0) (i32.const 1)))
      ;; a string of n bytes; its post-return throws when n is 2
      (func (export "word") (param i32) (result i32)
        (global.set $n (local.get 0))
        (i32.store (i32.const 16) (i32.const 0x100))
        (i32.store (i32.const 20) (local.get 0))
        (i32.const 16))
      (func (export "post-word") (param i32)
        (if (i32.eq (global.get $n) (i32.const 2))
          (then (throw $e (i32.const 2)))))
      ;; the length of the string it was given
      (func (export "take") (param i32 i32) (result i32) (local.get 1))
      ;; throws when asked for 13 bytes
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (if (i32.eq (local.get 3) (i32.const 13))
          (then (throw $e (i32.const 13))))
        (i32.const 0x800))
      ;; throws and catches inside the component
      (func $inner (throw $e (i32.const 5)))
      (func (export "own") (param i32) (result i32)
        (block $h (result i32)
          (try_table (catch $e $h)
            (call $inner))
          (i32.const 0))))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f")))
    (func (export "word") (param "n" u32) (result string)
      (canon lift (core func $i "word") (memory $mem)
        (post-return (core func $i "post-word"))))
    (func (export "take") (param "s" string) (result u32)
      (canon lift (core func $i "take") (memory $mem) (realloc (core func $i "realloc"))))
    (func (export "own") (param "x" u32) (result u32) (canon lift (core func $i "own"))))
  (component $catcher
    (import "f" (func $f (param "x" u32) (result u32)))
    (import "word" (func $word (param "n" u32) (result string)))
    (import "take" (func $take (param "s" string) (result u32)))
    (core module $heap
      (tag $mine)
      (memory (export "mem") 1)
      (data (i32.const 0x200) "0123456789abcdef")
      (global $next (mut i32) (i32.const 0x1000))
      ;; throws when asked for 7 bytes
      (func (export "realloc") (param i32 i32 i32 i32) (result i32)
        (local $at i32)
        (if (i32.eq (local.get 3) (i32.const 7)) (then (throw $mine)))
        (local.set $at (global.get $next))
        (global.set $next (i32.add (global.get $next) (local.get 3)))
        (local.get $at)))
    (core instance $heap (instantiate $heap))
    (alias core export $heap "mem" (core memory $mem))
    (alias core export $heap "realloc" (core func $realloc))
    (core func $f (canon lower (func $f)))
    (core func $word (canon lower (func $word) (memory $mem) (realloc $realloc)))
    (core func $take (canon lower (func $take) (memory $mem)))
    (core module $m
      (import "h" "mem" (memory 1))
      (import "p" "f" (func $f (param i32) (result i32)))
      (import "p" "word" (func $word (param i32 i32)))
      (import "p" "take" (func $take (param i32 i32) (result i32)))
      (func (export "g") (param i32) (result i32)
        (block $h
          (try_table (catch_all $h)
            (return (call $f (local.get 0)))))
        (i32.const 42))
      (func (export "w") (param i32) (result i32)
        (block $h
          (try_table (catch_all $h)
            (call $word (local.get 0) (i32.const 32))
            (return (i32.load (i32.const 36)))))
        (i32.const 42))
      (func (export "t") (param i32) (result i32)
        (block $h
          (try_table (catch_all $h)
            (return (call $take (i32.const 0x200) (local.get 0)))))
        (i32.const 42)))
    (core instance $i (instantiate $m
      (with "h" (instance (export "mem" (memory $mem))))
      (with "p" (instance
        (export "f" (func $f))
        (export "word" (func $word))
        (export "take" (func $take))))))
    (func (export "g") (param "x" u32) (result u32) (canon lift (core func $i "g")))
    (func (export "w") (param "n" u32) (result u32) (canon lift (core func $i "w")))
    (func (export "t") (param "n" u32) (result u32) (canon lift (core func $i "t"))))
  (instance $t (instantiate $thrower))
  (instance $c (instantiate $catcher
    (with "f" (func $t "f"))
    (with "word" (func $t "word"))
    (with "take" (func $t "take"))))
  (export "g" (func $c "g"))
  (export "w" (func $c "w"))
  (export "t" (func $c "t"))
  (export "own" (func $t "own"))
  (export "f" (func $t "f")))
