;; A destructor that throws (for rep 2): resource.drop of the own handle,
;; in the consumer and inside its `try_table` (which would answer 42),
;; traps; the exception never reaches the consumer. Other reps drop
;; quietly, and the provider catches what it throws itself.
;; CALL drop 3 => [1]
;; CALL drop 2 => trap
;; CALL drop 4 => [1]
;; CALL thrown => [9]
(component
  (component $provider
    (core module $state
      (tag $t (param i32))
      (func (export "dtor") (param i32)
        (if (i32.eq (local.get 0) (i32.const 2))
          (then (throw $t (local.get 0)))))
      (func (export "thrown") (result i32)
        (block $h (result i32)
          (try_table (catch $t $h)
            (throw $t (i32.const 9)))
          (i32.const 0))))
    (core instance $s (instantiate $state))
    (type $thing (resource (rep i32) (dtor (core func $s "dtor"))))
    (core func $new (canon resource.new $thing))
    (export $t "thing" (type $thing))
    (func (export "make") (param "v" u32) (result (own $t)) (canon lift (core func $new)))
    (func (export "thrown") (result u32) (canon lift (core func $s "thrown"))))
  (component $consumer
    (import "thing" (type $thing (sub resource)))
    (import "make" (func $make (param "v" u32) (result (own $thing))))
    (core func $make (canon lower (func $make)))
    (core func $drop (canon resource.drop $thing))
    (core module $m
      (import "p" "make" (func $make (param i32) (result i32)))
      (import "p" "drop" (func $drop (param i32)))
      (func (export "drop") (param i32) (result i32)
        (local $h i32)
        (local.set $h (call $make (local.get 0)))
        (block $caught
          (try_table (catch_all $caught)
            (call $drop (local.get $h))
            (return (local.get $h))))
        (i32.const 42)))
    (core instance $i (instantiate $m (with "p" (instance
      (export "make" (func $make)) (export "drop" (func $drop))))))
    (func (export "drop") (param "v" u32) (result u32) (canon lift (core func $i "drop"))))
  (instance $p (instantiate $provider))
  (alias export $p "thing" (type $thing))
  (instance $c (instantiate $consumer (with "thing" (type $thing))
    (with "make" (func $p "make"))))
  (export "drop" (func $c "drop"))
  (export "thrown" (func $p "thrown")))
