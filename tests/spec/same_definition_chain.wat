;; One component definition instantiated three times in a chain: each
;; instance imports `next` and the first gets a leaf; every instance adds
;; its own counter (separate memories) to what the next one answers.
;; CALL third 1 => [4]
;; CALL third 1 => [7]
;; CALL first 0 => [3]
(component
  (component $leaf
    (core module $m (func (export "f") (param i32) (result i32) (local.get 0)))
    (core instance $i (instantiate $m))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
  (component $link
    (import "next" (func $next (param "x" u32) (result u32)))
    (core func $next (canon lower (func $next)))
    (core module $m
      (import "i" "next" (func $next (param i32) (result i32)))
      (memory 1)
      ;; counts its calls in memory, adds the count
      (func (export "f") (param i32) (result i32)
        (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
        (i32.add (call $next (local.get 0)) (i32.load (i32.const 0)))))
    (core instance $i (instantiate $m (with "i" (instance (export "next" (func $next))))))
    (func (export "f") (param "x" u32) (result u32) (canon lift (core func $i "f"))))
  (instance $l (instantiate $leaf))
  (instance $a (instantiate $link (with "next" (func $l "f"))))
  (instance $b (instantiate $link (with "next" (func $a "f"))))
  (instance $c (instantiate $link (with "next" (func $b "f"))))
  (export "first" (func $a "f"))
  (export "third" (func $c "f")))
