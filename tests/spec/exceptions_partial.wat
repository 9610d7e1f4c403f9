;; Only a component that can throw (a `throw` in its code) gets exception
;; barriers. `$thrower` throws and catches inside itself around a call of
;; `$plain`, whose code has no `throw` (and no tag): that call is direct,
;; as without exceptions in the composition, since nothing can leave
;; `$plain` (`tests/tests/exceptions.rs` checks the plan; with a `throw`
;; in `$plain` the call gets its adapter and barrier again). An exception
;; leaving `$thrower` still traps at its boundary.
;; CALL run 3 => [4]
;; CALL boom 2 => [3]
;; CALL boom 1 => trap
;; CALL inc 5 => [6]
;; CALL run 4294967295 => [0]
(component
  (component $plain
    (core module $m
      ;;NEVER-THROWS
      (func (export "inc") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))
    (core instance $i (instantiate $m))
    (func (export "inc") (param "x" u32) (result u32) (canon lift (core func $i "inc"))))
  (component $thrower
    (import "inc" (func $inc (param "x" u32) (result u32)))
    (core func $inc (canon lower (func $inc)))
    (core module $m
      (import "" "inc" (func $inc (param i32) (result i32)))
      (tag $e (param i32))
      ;; inc(x) through the other component, thrown and caught here
      (func (export "run") (param i32) (result i32)
        (block $h (result i32)
          (try_table (catch $e $h)
            (throw $e (call $inc (local.get 0))))
          (i32.const 0)))
      ;; throws out of the component for 1
      (func (export "boom") (param i32) (result i32)
        (if (i32.eq (local.get 0) (i32.const 1)) (then (throw $e (i32.const 1))))
        (call $inc (local.get 0))))
    (core instance $i (instantiate $m (with "" (instance (export "inc" (func $inc))))))
    (func (export "run") (param "x" u32) (result u32) (canon lift (core func $i "run")))
    (func (export "boom") (param "x" u32) (result u32) (canon lift (core func $i "boom"))))
  (instance $p (instantiate $plain))
  (instance $t (instantiate $thrower (with "inc" (func $p "inc"))))
  (export "run" (func $t "run"))
  (export "boom" (func $t "boom"))
  (export "inc" (func $p "inc")))
