;; A blocking cancel of a read nobody watched: `cancel(s)` reads a stream
;; of the host's with the async variant (the host has nothing yet:
;; BLOCKED), puts the end in no set, then cancels the read with the
;; blocking `stream.cancel-read`, which waits for the host's answer
;; (`cancel` is an async func lifted sync: its task may block). It
;; returns 100 if the read was BLOCKED, plus the cancel's code
;; (CANCELLED, nothing read: 2). The fused runtime takes the event of an
;; end pending at the host only once someone inside can take it, so the
;; blocking cancel must have the host's event for it come (a runtime that
;; waited for an event it never asked the host for would hang).
(component
  (component $r
    (type $s (stream u8))
    (core module $memory
      (memory (export "mem") 1))
    (core instance $memory (instantiate $memory))
    (alias core export $memory "mem" (core memory $mem))
    (core func $s-read (canon stream.read $s (memory $mem) async))
    (core func $s-cancel (canon stream.cancel-read $s))
    (core func $s-drop (canon stream.drop-readable $s))
    (core module $m
      (import "cm" "s-read" (func $s-read (param i32 i32 i32) (result i32)))
      (import "cm" "s-cancel" (func $s-cancel (param i32) (result i32)))
      (import "cm" "s-drop" (func $s-drop (param i32)))
      (func (export "cancel") (param $s i32) (result i32)
        (local $read i32) (local $cancel i32)
        (local.set $read (call $s-read (local.get $s) (i32.const 16) (i32.const 4)))
        (local.set $cancel (call $s-cancel (local.get $s)))
        (call $s-drop (local.get $s))
        (i32.add (i32.mul (i32.eq (local.get $read) (i32.const -1)) (i32.const 100))
                 (local.get $cancel))))
    (core instance $i (instantiate $m
      (with "cm" (instance
        (export "s-read" (func $s-read)) (export "s-cancel" (func $s-cancel))
        (export "s-drop" (func $s-drop))))))
    (func (export "cancel") async (param "s" $s) (result u32) (canon lift (core func $i "cancel"))))

  (instance $r (instantiate $r))
  (export "cancel" (func $r "cancel")))
