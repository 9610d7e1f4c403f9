;; post-return after a call from the host, in a component whose memory is
;; not the first: it receives the callee's own return pointer and reads
;; the (ptr, len) pair there, which must still hold the callee's own
;; pointer; it records what it read (`seen`).
;; CALL first => ["ab"]
;; CALL word 2 => ["hi"]
;; CALL seen => [256]
;; CALL word 1 => ["h"]
;; CALL seen => [256]
(component
  (component $first
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x100) "ab")
      (data (i32.const 0x800) "\00\01\00\00\02\00\00\00")
      (func (export "word") (result i32) (i32.const 0x800)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (func (export "word") (result string) (canon lift (core func $i "word") (memory $mem))))
  (component $provider
    (core module $m
      (memory (export "mem") 1)
      (data (i32.const 0x100) "hi!")
      (global $seen (mut i32) (i32.const 0))
      (func (export "word") (param i32) (result i32)
        (i32.store (i32.const 16) (i32.const 0x100))
        (i32.store (i32.const 20) (local.get 0))
        (i32.const 16))
      (func (export "post-word") (param i32)
        (global.set $seen (i32.load (local.get 0))))
      (func (export "seen") (result i32) (global.get $seen)))
    (core instance $i (instantiate $m))
    (alias core export $i "mem" (core memory $mem))
    (func (export "word") (param "n" u32) (result string)
      (canon lift (core func $i "word") (memory $mem) (post-return (core func $i "post-word"))))
    (func (export "seen") (result u32) (canon lift (core func $i "seen"))))
  (instance $f (instantiate $first))
  (instance $p (instantiate $provider))
  (export "first" (func $f "word"))
  (export "word" (func $p "word"))
  (export "seen" (func $p "seen")))
