;; Own handles through async calls: they leave the caller's table when the
;; callee starts (not when the call is made) and come back through
;; `task.return`; handle numbers are shared with subtasks and waitable
;; sets in each component's one table.
;;
;; `$owner` defines `thing` (rep = the value it was made with; the
;; destructor appends the rep to a log); `take` (callback-lifted, async)
;; yields once, then returns the rep of the handle it was given and drops
;; it; `give` returns a new thing at once. `$user.run` logs the handle
;; numbers and states it sees into a list. The host calls the owner's
;; functions too (its handles moved into and out of the owner's table).
(component
  (component $owner
    (core module $state
      (global $log (mut i32) (i32.const 0))
      (func (export "dtor") (param i32)
        (global.set $log (i32.add (i32.mul (global.get $log) (i32.const 10)) (local.get 0))))
      (func (export "log") (result i32) (global.get $log)))
    (core instance $s (instantiate $state))
    (type $thing (resource (rep i32) (dtor (core func $s "dtor"))))
    (core func $new (canon resource.new $thing))
    (core func $rep (canon resource.rep $thing))
    (core func $drop (canon resource.drop $thing))
    (core func $return-u32 (canon task.return (result u32)))
    (core func $return-own (canon task.return (result (own $thing))))
    (core module $m
      (import "r" "new" (func $new (param i32) (result i32)))
      (import "r" "rep" (func $rep (param i32) (result i32)))
      (import "r" "drop" (func $drop (param i32)))
      (import "r" "return-u32" (func $return-u32 (param i32)))
      (import "r" "return-own" (func $return-own (param i32)))
      (global $held (mut i32) (i32.const 0))
      (func (export "make") (param i32) (result i32) (call $new (local.get 0)))
      ;; a borrow of its own resource arrives as the rep
      (func (export "value") (param i32) (result i32) (local.get 0))
      ;; keeps the handle, yields once; the callback returns its rep * 10
      ;; plus the handle number it had, and drops it
      (func (export "take") (param i32) (result i32)
        (global.set $held (local.get 0))
        (i32.const 1))
      (func (export "take-cb") (param i32 i32 i32) (result i32)
        (call $return-u32
          (i32.add (i32.mul (call $rep (global.get $held)) (i32.const 10)) (global.get $held)))
        (call $drop (global.get $held))
        (i32.const 0))
      (func (export "give") (param i32) (result i32)
        (call $return-own (call $new (local.get 0)))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "r" (instance
        (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))
        (export "return-u32" (func $return-u32)) (export "return-own" (func $return-own))))))
    (export $thing-e "thing" (type $thing))
    (alias core export $i "take-cb" (core func $take-cb))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (func (export "make") (param "v" u32) (result (own $thing-e))
      (canon lift (core func $i "make")))
    (type $take-t (func async (param "t" (own $thing-e)) (result u32)))
    (type $give-t (func async (param "v" u32) (result (own $thing-e))))
    (func (export "take") (type $take-t)
      (canon lift (core func $i "take") async (callback $take-cb)))
    (func (export "give") (type $give-t)
      (canon lift (core func $i "give") async (callback $exit-cb)))
    (func (export "value") (param "t" (borrow $thing-e)) (result u32)
      (canon lift (core func $i "value")))
    (func (export "log") (result u32) (canon lift (core func $s "log"))))
  (instance $owner (instantiate $owner))

  ;; Borrows through an async call: `view(t, keep)` gets a borrow handle of
  ;; its own, yields once, then asks the owner for the value through it
  ;; (lending it on, synchronously) and returns value * 10 + its handle;
  ;; it drops the borrow first unless `keep` (then task.return traps).
  (component $viewer
    (import "thing" (type $thing (sub resource)))
    (import "value" (func $value (param "t" (borrow $thing)) (result u32)))
    (core func $value (canon lower (func $value)))
    (core func $drop (canon resource.drop $thing))
    (core func $return-u32 (canon task.return (result u32)))
    (core module $m
      (import "cm" "value" (func $value (param i32) (result i32)))
      (import "cm" "drop" (func $drop (param i32)))
      (import "cm" "return-u32" (func $return-u32 (param i32)))
      (global $held (mut i32) (i32.const 0))
      (global $keep (mut i32) (i32.const 0))
      (func (export "view") (param i32 i32) (result i32)
        (global.set $held (local.get 0))
        (global.set $keep (local.get 1))
        (i32.const 1))
      (func (export "view-cb") (param i32 i32 i32) (result i32)
        (local $r i32)
        (local.set $r
          (i32.add (i32.mul (call $value (global.get $held)) (i32.const 10)) (global.get $held)))
        (if (i32.eqz (global.get $keep)) (then (call $drop (global.get $held))))
        (call $return-u32 (local.get $r))
        (i32.const 0)))
    (core instance $i (instantiate $m
      (with "cm" (instance
        (export "value" (func $value)) (export "drop" (func $drop))
        (export "return-u32" (func $return-u32))))))
    (alias core export $i "view-cb" (core func $view-cb))
    (type $view-t (func async (param "t" (borrow $thing)) (param "keep" bool) (result u32)))
    (func (export "view") (type $view-t)
      (canon lift (core func $i "view") async (callback $view-cb))))
  (instance $viewer (instantiate $viewer
    (with "thing" (type $owner "thing"))
    (with "value" (func $owner "value"))))

  (component $user
    (import "thing" (type $thing (sub resource)))
    (import "make" (func $make (param "v" u32) (result (own $thing))))
    (type $take-t (func async (param "t" (own $thing)) (result u32)))
    (type $give-t (func async (param "v" u32) (result (own $thing))))
    (import "take" (func $take (type $take-t)))
    (import "give" (func $give (type $give-t)))
    (type $view-t (func async (param "t" (borrow $thing)) (param "keep" bool) (result u32)))
    (import "view" (func $view (type $view-t)))
    (core module $memory (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $make (canon lower (func $make)))
    (core func $take (canon lower (func $take) async (memory $mem)))
    (core func $give (canon lower (func $give) async (memory $mem)))
    (core func $view (canon lower (func $view) async (memory $mem)))
    (core func $drop-thing (canon resource.drop $thing))
    (core func $new (canon waitable-set.new))
    (core func $wait (canon waitable-set.wait (memory $mem)))
    (core func $join (canon waitable.join))
    (core func $drop-subtask (canon subtask.drop))
    (core func $return-list (canon task.return (result (list u32)) (memory $mem)))
    (core module $m
      (import "mem" "mem" (memory 1))
      (import "cm" "make" (func $make (param i32) (result i32)))
      (import "cm" "take" (func $take (param i32 i32) (result i32)))
      (import "cm" "give" (func $give (param i32 i32) (result i32)))
      (import "cm" "view" (func $view (param i32 i32 i32) (result i32)))
      (import "cm" "drop-thing" (func $drop-thing (param i32)))
      (import "cm" "new" (func $new (result i32)))
      (import "cm" "wait" (func $wait (param i32 i32) (result i32)))
      (import "cm" "join" (func $join (param i32 i32)))
      (import "cm" "drop-subtask" (func $drop-subtask (param i32)))
      (import "cm" "return-list" (func $return-list (param i32 i32)))
      (global $count (mut i32) (i32.const 0))
      (func $log (param i32)
        (i32.store
          (i32.add (i32.const 4096) (i32.shl (global.get $count) (i32.const 2)))
          (local.get 0))
        (global.set $count (i32.add (global.get $count) (i32.const 1))))
      (func (export "run") (param $v i32) (result i32)
        (local $h i32) (local $r i32) (local $s i32) (local $t i32)
        (global.set $count (i32.const 0))
        ;; a thing, passed to `take` (which yields first)
        (local.set $h (call $make (local.get $v)))
        (call $log (local.get $h))
        (local.set $r (call $take (local.get $h) (i32.const 16)))
        (call $log (i32.and (local.get $r) (i32.const 15)))
        (local.set $t (i32.shr_u (local.get $r) (i32.const 4)))
        (call $log (local.get $t))
        ;; a second thing made while `take` runs reuses nothing: the first
        ;; handle left at start
        (call $log (call $make (i32.add (local.get $v) (i32.const 1))))
        (local.set $s (call $new))
        (call $log (local.get $s))
        (call $join (local.get $t) (local.get $s))
        (drop (call $wait (local.get $s) (i32.const 32)))
        (call $log (i32.load (i32.const 36)))
        (call $log (i32.load (i32.const 16)))
        (call $drop-subtask (local.get $t))
        ;; `give` returns a new thing at once, into our table
        (call $log (call $give (i32.add (local.get $v) (i32.const 2)) (i32.const 20)))
        (call $log (i32.load (i32.const 20)))
        (call $drop-thing (i32.load (i32.const 20)))
        (call $return-list (i32.const 4096) (global.get $count))
        (i32.const 0))
      ;; Lends a thing to `view` (which yields first) and waits for it;
      ;; then drops the thing, which is no longer lent. With `early`, drops
      ;; it while `view` still has it: traps.
      (func (export "lend") (param $v i32) (param $keep i32) (param $early i32) (result i32)
        (local $h i32) (local $r i32) (local $t i32) (local $s i32)
        (global.set $count (i32.const 0))
        (local.set $h (call $make (local.get $v)))
        (call $log (local.get $h))
        (local.set $r (call $view (local.get $h) (local.get $keep) (i32.const 16)))
        (call $log (i32.and (local.get $r) (i32.const 15)))
        (local.set $t (i32.shr_u (local.get $r) (i32.const 4)))
        (call $log (local.get $t))
        (if (local.get $early) (then (call $drop-thing (local.get $h))))
        (local.set $s (call $new))
        (call $log (local.get $s))
        (call $join (local.get $t) (local.get $s))
        (drop (call $wait (local.get $s) (i32.const 32)))
        (call $log (i32.load (i32.const 36)))
        (call $log (i32.load (i32.const 16)))
        (call $drop-subtask (local.get $t))
        (call $drop-thing (local.get $h))
        (call $return-list (i32.const 4096) (global.get $count))
        (i32.const 0))
      (func (export "exit-cb") (param i32 i32 i32) (result i32) (i32.const 0)))
    (core instance $i (instantiate $m
      (with "mem" (instance (export "mem" (memory $mem))))
      (with "cm" (instance
        (export "make" (func $make)) (export "take" (func $take)) (export "give" (func $give))
        (export "view" (func $view))
        (export "drop-thing" (func $drop-thing)) (export "new" (func $new))
        (export "wait" (func $wait)) (export "join" (func $join))
        (export "drop-subtask" (func $drop-subtask))
        (export "return-list" (func $return-list))))))
    (alias core export $i "exit-cb" (core func $exit-cb))
    (type $run-t (func async (param "v" u32) (result (list u32))))
    (func (export "run") (type $run-t)
      (canon lift (core func $i "run") (memory $mem) async (callback $exit-cb)))
    (type $lend-t (func async (param "v" u32) (param "keep" bool) (param "early" bool)
      (result (list u32))))
    (func (export "lend") (type $lend-t)
      (canon lift (core func $i "lend") (memory $mem) async (callback $exit-cb))))
  (instance $user (instantiate $user
    (with "thing" (type $owner "thing"))
    (with "make" (func $owner "make"))
    (with "take" (func $owner "take"))
    (with "give" (func $owner "give"))
    (with "view" (func $viewer "view"))))
  (export "user" (instance $user))
  (export "owner-log" (func $owner "log"))
  ;; the owner's `make` and `take` for the host too: an async function
  ;; taking the host's own thing
  (instance $owner-api
    (export "thing" (type $owner "thing"))
    (export "make" (func $owner "make"))
    (export "take" (func $owner "take"))
    (export "give" (func $owner "give")))
  (export "owner" (instance $owner-api)))
