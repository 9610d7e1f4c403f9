;; Functions exported to the host that take and return the host's own
;; resource (`meld:test/host` `thing`): the host lends a thing (borrow),
;; gives one (own, the component hands it back to the host's `take`),
;; and receives one made by the component; `give-borrowed` passes a
;; borrowed thing on as own, which traps. The differential harness passes
;; its pool of things to them, in export order: `make`'s things to
;; `measure` and `give-back`, `make-more`'s to `give-borrowed`.
;; CALL make 4 => [<resource>]
;; CALL make-and-measure 6 => [1006]
;; CALL log => [0]
(component
  (import "meld:test/host" (instance $host
    (export "thing" (type $thing (sub resource)))
    (export "[constructor]thing" (func (param "v" u32) (result (own $thing))))
    (export "[method]thing.value" (func (param "self" (borrow $thing)) (result u32)))
    (export "take" (func (param "t" (own $thing)) (result u32)))
    (type $reps (list u32))
    (export "dropped" (func (result $reps)))))
  (alias export $host "thing" (type $thing))
  (component $holder
    (import "meld:test/host" (instance $h
      (export "thing" (type $thing (sub resource)))
      (export "[constructor]thing" (func (param "v" u32) (result (own $thing))))
      (export "[method]thing.value" (func (param "self" (borrow $thing)) (result u32)))
      (export "take" (func (param "t" (own $thing)) (result u32)))
      (type $reps (list u32))
      (export "dropped" (func (result $reps)))))
    (alias export $h "thing" (type $thing))
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
    (core func $take (canon lower (func $h "take")))
    (core func $dropped (canon lower (func $h "dropped") (memory $mem) (realloc $realloc)))
    (core func $drop (canon resource.drop $thing))
    (core module $main
      (import "h" "mem" (memory 1))
      (import "h" "new" (func $new (param i32) (result i32)))
      (import "h" "value" (func $value (param i32) (result i32)))
      (import "h" "take" (func $take (param i32) (result i32)))
      (import "h" "dropped" (func $dropped (param i32)))
      (import "h" "drop" (func $drop (param i32)))
      (func (export "make") (param i32) (result i32) (call $new (local.get 0)))
      ;; a borrow of a host thing arrives as a handle of this table, which
      ;; it must drop before returning
      (func (export "measure") (param i32) (result i32)
        (local $v i32)
        (local.set $v (i32.add (i32.mul (local.get 0) (i32.const 1000)) (call $value (local.get 0))))
        (call $drop (local.get 0))
        (local.get $v))
      (func (export "give-back") (param i32) (result i32) (call $take (local.get 0)))
      ;; gives a borrowed handle away as own: traps
      (func (export "give-borrowed") (param i32) (result i32) (call $take (local.get 0)))
      (func (export "make-and-measure") (param i32) (result i32)
        (local $t i32)
        (local.set $t (call $new (local.get 0)))
        (i32.add (i32.mul (local.get $t) (i32.const 1000)) (call $value (local.get $t))))
      (func (export "log") (result i32)
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
        (local.get $acc)))
    (core instance $m (instantiate $main
      (with "h" (instance (export "mem" (memory $mem)) (export "new" (func $new))
        (export "value" (func $value)) (export "take" (func $take)) (export "dropped" (func $dropped))
        (export "drop" (func $drop))))))
    (func (export "make") (param "v" u32) (result (own $thing)) (canon lift (core func $m "make")))
    (func (export "measure") (param "t" (borrow $thing)) (result u32) (canon lift (core func $m "measure")))
    (func (export "give-back") (param "t" (own $thing)) (result u32) (canon lift (core func $m "give-back")))
    (func (export "give-borrowed") (param "t" (borrow $thing)) (result u32)
      (canon lift (core func $m "give-borrowed")))
    (func (export "make-and-measure") (param "v" u32) (result u32) (canon lift (core func $m "make-and-measure")))
    (func (export "log") (result u32) (canon lift (core func $m "log"))))
  (instance $x (instantiate $holder (with "meld:test/host" (instance $host))))
  (export "make" (func $x "make"))
  (export "measure" (func $x "measure"))
  (export "give-back" (func $x "give-back"))
  (export "make-more" (func $x "make"))
  (export "give-borrowed" (func $x "give-borrowed"))
  (export "make-and-measure" (func $x "make-and-measure"))
  (export "log" (func $x "log")))
