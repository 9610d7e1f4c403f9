;; A destructor that traps: resource.drop of the own handle (in the
;; consumer, across the boundary) traps; a resource type without a
;; destructor drops silently.
;; CALL drop-plain 3 => [1]
;; CALL drop-trapping 3 => trap
;; CALL drop-plain 4 => [1]
(component
  (component $provider
    (core module $state
      (func (export "dtor") (param i32) unreachable))
    (core instance $s (instantiate $state))
    (type $bad (resource (rep i32) (dtor (core func $s "dtor"))))
    (type $plain (resource (rep i32)))
    (core func $new-bad (canon resource.new $bad))
    (core func $new-plain (canon resource.new $plain))
    (export $b "bad" (type $bad))
    (export $p "plain" (type $plain))
    (func (export "make-bad") (param "v" u32) (result (own $b)) (canon lift (core func $new-bad)))
    (func (export "make-plain") (param "v" u32) (result (own $p)) (canon lift (core func $new-plain))))
  (component $consumer
    (import "bad" (type $bad (sub resource)))
    (import "plain" (type $plain (sub resource)))
    (import "make-bad" (func $make-bad (param "v" u32) (result (own $bad))))
    (import "make-plain" (func $make-plain (param "v" u32) (result (own $plain))))
    (core func $make-bad (canon lower (func $make-bad)))
    (core func $make-plain (canon lower (func $make-plain)))
    (core func $drop-bad (canon resource.drop $bad))
    (core func $drop-plain (canon resource.drop $plain))
    (core module $m
      (import "p" "make-bad" (func $make-bad (param i32) (result i32)))
      (import "p" "make-plain" (func $make-plain (param i32) (result i32)))
      (import "p" "drop-bad" (func $drop-bad (param i32)))
      (import "p" "drop-plain" (func $drop-plain (param i32)))
      (func (export "drop-trapping") (param i32) (result i32)
        (local $h i32)
        (local.set $h (call $make-bad (local.get 0)))
        (call $drop-bad (local.get $h))
        (local.get $h))
      (func (export "drop-plain") (param i32) (result i32)
        (local $h i32)
        (local.set $h (call $make-plain (local.get 0)))
        (call $drop-plain (local.get $h))
        (local.get $h)))
    (core instance $i (instantiate $m (with "p" (instance
      (export "make-bad" (func $make-bad)) (export "make-plain" (func $make-plain))
      (export "drop-bad" (func $drop-bad)) (export "drop-plain" (func $drop-plain))))))
    (func (export "drop-trapping") (param "v" u32) (result u32) (canon lift (core func $i "drop-trapping")))
    (func (export "drop-plain") (param "v" u32) (result u32) (canon lift (core func $i "drop-plain"))))
  (instance $p (instantiate $provider))
  (alias export $p "bad" (type $bad))
  (alias export $p "plain" (type $plain))
  (instance $c (instantiate $consumer (with "bad" (type $bad)) (with "plain" (type $plain))
    (with "make-bad" (func $p "make-bad")) (with "make-plain" (func $p "make-plain"))))
  (export "drop-trapping" (func $c "drop-trapping"))
  (export "drop-plain" (func $c "drop-plain")))
