;; Functions without parameters or results (only effects): the consumer
;; calls the provider's `tick` three times, then reads the count.
;; CALL run => [3]
;; CALL run => [6]
;; CALL tick => []
;; CALL count => [7]
(component
  (component $provider
    (core module $m
      (global $n (mut i32) (i32.const 0))
      (func (export "tick") (global.set $n (i32.add (global.get $n) (i32.const 1))))
      (func (export "count") (result i32) (global.get $n)))
    (core instance $i (instantiate $m))
    (func (export "tick") (canon lift (core func $i "tick")))
    (func (export "count") (result u32) (canon lift (core func $i "count"))))
  (component $consumer
    (import "tick" (func $tick))
    (import "count" (func $count (result u32)))
    (core func $tick (canon lower (func $tick)))
    (core func $count (canon lower (func $count)))
    (core module $m
      (import "p" "tick" (func $tick))
      (import "p" "count" (func $count (result i32)))
      (func (export "run") (result i32) (call $tick) (call $tick) (call $tick) (call $count)))
    (core instance $i (instantiate $m (with "p" (instance (export "tick" (func $tick)) (export "count" (func $count))))))
    (func (export "run") (result u32) (canon lift (core func $i "run"))))
  (instance $p (instantiate $provider))
  (instance $c (instantiate $consumer (with "tick" (func $p "tick")) (with "count" (func $p "count"))))
  (export "run" (func $c "run"))
  (export "tick" (func $p "tick"))
  (export "count" (func $p "count")))
